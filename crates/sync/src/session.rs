use ecabinet_store::{Store, StoreError};

use crate::SyncError;

const SERVER_URL: &str = "session.server_url";
const TOKEN: &str = "session.token";
const DEVICE_ID: &str = "session.device_id";
const USER_ID: &str = "session.user_id";
const USERNAME: &str = "session.username";
const CA_CERT: &str = "session.ca_cert";
const SESSION_ID: &str = "session.session_id";

/// Who this device is to the server. Kept only inside the encrypted store.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    pub server_url: String,
    pub token: String,
    pub device_id: String,
    pub user_id: String,
    pub username: String,
    /// The deployment's own CA (PEM), trusted for this server besides the
    /// system's roots; given at enrolment.
    pub ca_cert: Option<String>,
    /// The server session the token belongs to; the device renews its
    /// short-lived token for it with its key. `None` for devices enrolled
    /// before sessions existed: they sign in again when the token expires.
    pub session_id: Option<String>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is a credential: never in logs.
        f.debug_struct("Session")
            .field("server_url", &self.server_url)
            .field("device_id", &self.device_id)
            .field("user_id", &self.user_id)
            .field("username", &self.username)
            .field("ca_cert", &self.ca_cert.is_some())
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
            ca_cert: get(CA_CERT)?,
            session_id: get(SESSION_ID)?,
        }))
    }

    /// Stores the session (one transaction).
    pub fn save(&self, store: &Store) -> Result<(), StoreError> {
        let mut values = vec![
            (SERVER_URL, self.server_url.as_str()),
            (TOKEN, self.token.as_str()),
            (DEVICE_ID, self.device_id.as_str()),
            (USER_ID, self.user_id.as_str()),
            (USERNAME, self.username.as_str()),
        ];
        if let Some(ca) = &self.ca_cert {
            values.push((CA_CERT, ca.as_str()));
        }
        if let Some(id) = &self.session_id {
            values.push((SESSION_ID, id.as_str()));
        }
        store.set_settings(&values)
    }

    /// Stores a renewed access token.
    pub(crate) fn save_token(store: &Store, token: &str) -> Result<(), StoreError> {
        store.set_setting(TOKEN, token)
    }

    /// The access token the store holds now (another handle may have renewed it).
    pub(crate) fn stored_token(store: &Store) -> Result<Option<String>, StoreError> {
        store.setting(TOKEN)
    }
}
