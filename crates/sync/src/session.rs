use ecabinet_store::{Store, StoreError};

use crate::SyncError;

const SERVER_URL: &str = "session.server_url";
const TOKEN: &str = "session.token";
const DEVICE_ID: &str = "session.device_id";
const USER_ID: &str = "session.user_id";
const USERNAME: &str = "session.username";

/// Who this device is to the server. Kept only inside the encrypted store.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    pub server_url: String,
    pub token: String,
    pub device_id: String,
    pub user_id: String,
    pub username: String,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is a credential: never in logs.
        f.debug_struct("Session")
            .field("server_url", &self.server_url)
            .field("device_id", &self.device_id)
            .field("user_id", &self.user_id)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// The session stored at enrolment, `None` if this store was never enrolled.
    pub fn load(store: &Store) -> Result<Option<Session>, SyncError> {
        let get = |k| store.setting(k).map_err(SyncError::Store);
        let (Some(server_url), Some(token), Some(device_id), Some(user_id), Some(username)) = (
            get(SERVER_URL)?,
            get(TOKEN)?,
            get(DEVICE_ID)?,
            get(USER_ID)?,
            get(USERNAME)?,
        ) else {
            return Ok(None);
        };
        Ok(Some(Session {
            server_url,
            token,
            device_id,
            user_id,
            username,
        }))
    }

    /// Stores the session (one transaction).
    pub fn save(&self, store: &Store) -> Result<(), StoreError> {
        store.set_settings(&[
            (SERVER_URL, self.server_url.as_str()),
            (TOKEN, self.token.as_str()),
            (DEVICE_ID, self.device_id.as_str()),
            (USER_ID, self.user_id.as_str()),
            (USERNAME, self.username.as_str()),
        ])
    }
}
