//! The device secret and the wrong-PIN counters in the OS keystore.
//!
//! A store bound to the keystore keeps a random 32-byte device secret in one
//! keystore item named by the store's id (`keys.json` names the id, never the
//! secret). The key-encryption key is `HKDF(Argon2id(PIN), device secret)`,
//! so a copy of every file of the data folder, without the keystore, gives an
//! attacker nothing to guess the PIN against.
//!
//! The item also holds the wrong-PIN counters. Unlock takes the larger of
//! the item's and the key file's, so restoring an older `keys.json` does not
//! reset them.
//!
//! Only Linux has a backend today (Secret Service over D-Bus, e.g.
//! gnome-keyring or KWallet). Windows (DPAPI / Credential Manager) and macOS
//! (Keychain) fit behind [`SecretSlots`]; until then those systems report no
//! keystore and stores there are protected by a strong passphrase alone.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Result, StoreError};

/// Which keystore a store's device secret lives in (part of [`crate::StoreConfig`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Keystore {
    /// The operating system's keystore, items filed under `service`. Where
    /// none is reachable when the store is created, the store is bound to
    /// the PIN alone, which must then be a strong passphrase.
    Os {
        /// The service name items are filed under (one item per store).
        service: String,
    },
    /// No keystore: the PIN alone protects the key file.
    None,
}

impl Default for Keystore {
    fn default() -> Self {
        Keystore::Os {
            service: "E-Cabinet".into(),
        }
    }
}

/// The content of a store's keystore item.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct Item {
    /// Hex of the 32-byte device secret.
    pub device_secret: String,
    #[serde(default)]
    pub failed_attempts: u32,
    #[serde(default)]
    pub interrupted_attempts: u32,
    #[serde(default)]
    pub attempt_in_progress: bool,
}

impl Item {
    pub(crate) fn secret(&self) -> Result<Zeroizing<[u8; 32]>> {
        let bytes = Zeroizing::new(
            crate::hex::decode(&self.device_secret)
                .ok_or(StoreError::Keystore("the device secret is damaged".into()))?,
        );
        let mut out = Zeroizing::new([0u8; 32]);
        if bytes.len() != 32 {
            return Err(StoreError::Keystore(
                "the device secret has the wrong length".into(),
            ));
        }
        out.copy_from_slice(&bytes);
        Ok(out)
    }
}

/// One keystore: named slots holding bytes. The seam for other systems.
pub(crate) trait SecretSlots {
    /// The slot's bytes, `None` if there is no such slot.
    fn get(&self, id: &str) -> Result<Option<Zeroizing<Vec<u8>>>>;
    /// Creates or replaces the slot.
    fn set(&self, id: &str, bytes: &[u8]) -> Result<()>;
    /// Deletes the slot; a missing slot is not an error.
    fn delete(&self, id: &str) -> Result<()>;
}

/// The keystore of `config`, or `None` for [`Keystore::None`] and systems
/// without a backend.
pub(crate) fn open(config: &Keystore) -> Option<Box<dyn SecretSlots>> {
    match config {
        Keystore::None => None,
        Keystore::Os { service } => os_slots(service),
    }
}

/// Reads and parses a store's item.
pub(crate) fn read_item(slots: &dyn SecretSlots, id: &str) -> Result<Option<Item>> {
    let Some(bytes) = slots.get(id)? else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|_| StoreError::Keystore("the keystore item is damaged".into()))
}

/// Writes a store's item.
pub(crate) fn write_item(slots: &dyn SecretSlots, id: &str, item: &Item) -> Result<()> {
    let json = Zeroizing::new(serde_json::to_vec(item)?);
    slots.set(id, &json)
}

#[cfg(target_os = "linux")]
fn os_slots(service: &str) -> Option<Box<dyn SecretSlots>> {
    Some(Box::new(secret_service::Slots {
        service: service.to_owned(),
    }))
}

#[cfg(not(target_os = "linux"))]
fn os_slots(_service: &str) -> Option<Box<dyn SecretSlots>> {
    None
}

#[cfg(target_os = "linux")]
mod secret_service {
    use zeroize::Zeroizing;

    use super::SecretSlots;
    use crate::error::{Result, StoreError};

    /// The Secret Service (gnome-keyring, KWallet) through the `keyring` crate.
    pub(super) struct Slots {
        pub service: String,
    }

    fn entry(service: &str, id: &str) -> Result<keyring::Entry> {
        keyring::Entry::new(service, id).map_err(map_err)
    }

    fn map_err(e: keyring::Error) -> StoreError {
        match e {
            keyring::Error::NoStorageAccess(_) | keyring::Error::PlatformFailure(_) => {
                StoreError::KeystoreUnavailable(e.to_string())
            }
            e => StoreError::Keystore(e.to_string()),
        }
    }

    impl SecretSlots for Slots {
        fn get(&self, id: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
            match entry(&self.service, id)?.get_secret() {
                Ok(bytes) => Ok(Some(Zeroizing::new(bytes))),
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(e) => Err(map_err(e)),
            }
        }

        fn set(&self, id: &str, bytes: &[u8]) -> Result<()> {
            entry(&self.service, id)?.set_secret(bytes).map_err(map_err)
        }

        fn delete(&self, id: &str) -> Result<()> {
            match entry(&self.service, id)?.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                Err(e) => Err(map_err(e)),
            }
        }
    }
}
