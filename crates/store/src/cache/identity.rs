//! What the cache trusts and who it is: the server clock offset, the
//! manifest key, the highest trusted version of each document and the
//! device key.

use rusqlite::{params, OptionalExtension};

use crate::error::Result;
use crate::named::{get_state, set_state};
use crate::Store;

/// The `state` row name.
const MANIFEST_KEY: &str = "manifest_key";

/// The `state` row name: the server keys this device pinned before the
/// current one, 32 bytes each, oldest first.
const RETIRED_MANIFEST_KEYS: &str = "retired_manifest_keys";

/// The `state` row name.
const CLOCK_OFFSET: &str = "clock_offset_ms";

impl Store {
    /// Server clock minus local clock in ms, as last measured (0 if never).
    pub fn clock_offset_ms(&self) -> Result<i64> {
        self.read(|tx| Ok(get_state::<i64>(tx, CLOCK_OFFSET)?.unwrap_or(0)))
    }

    /// Records the measured server-clock offset.
    pub fn set_clock_offset_ms(&self, offset: i64) -> Result<()> {
        self.write(|tx| set_state(tx, CLOCK_OFFSET, &offset))
    }

    /// The pinned manifest-signing public key of the server (raw bytes), if enrolled.
    pub fn manifest_key(&self) -> Result<Option<Vec<u8>>> {
        self.read(|tx| get_state::<Vec<u8>>(tx, MANIFEST_KEY))
    }

    /// Pins the server's manifest-signing public key (at enrolment).
    pub fn set_manifest_key(&self, public_key: &[u8]) -> Result<()> {
        self.write(|tx| set_state(tx, MANIFEST_KEY, &public_key))
    }

    /// Moves the pin to `new_key` (a rotation the device followed), keeping
    /// the keys it leaves behind (`old_keys`, the pinned one first) as
    /// retired: manifests verified here under them stay openable. One
    /// transaction: the pin and the retired list never disagree.
    pub fn rotate_manifest_key(&self, new_key: &[u8], old_keys: &[Vec<u8>]) -> Result<()> {
        self.write(|tx| {
            let mut retired = get_state::<Vec<u8>>(tx, RETIRED_MANIFEST_KEYS)?.unwrap_or_default();
            for k in old_keys {
                if !retired.chunks(32).any(|r| r == k.as_slice()) {
                    retired.extend_from_slice(k);
                }
            }
            set_state(tx, RETIRED_MANIFEST_KEYS, &retired)?;
            set_state(tx, MANIFEST_KEY, &new_key)
        })
    }

    /// The server keys this device pinned before the current one, oldest first.
    pub fn retired_manifest_keys(&self) -> Result<Vec<Vec<u8>>> {
        self.read(|tx| {
            Ok(get_state::<Vec<u8>>(tx, RETIRED_MANIFEST_KEYS)?
                .unwrap_or_default()
                .chunks(32)
                .map(<[u8]>::to_vec)
                .collect())
        })
    }

    /// The highest manifest version verified so far for `document_id`.
    pub fn trusted_version(&self, document_id: &str) -> Result<Option<u32>> {
        self.read(|tx| {
            Ok(tx
                .query_row(
                    "SELECT version FROM trusted_version WHERE document_id = ?1",
                    [document_id],
                    |r| r.get(0),
                )
                .optional()?)
        })
    }

    /// Records that `version` of `document_id` was verified; keeps the highest.
    pub fn set_trusted_version(&self, document_id: &str, version: u32) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO trusted_version (document_id, version) VALUES (?1, ?2)
                 ON CONFLICT (document_id) DO UPDATE SET version = max(version, excluded.version)",
                params![document_id, version],
            )?;
            Ok(())
        })
    }

    /// Stores the device's Ed25519 private key (PKCS#8), only ever inside the
    /// encrypted database.
    pub fn set_device_key(&self, pkcs8: &[u8]) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT OR REPLACE INTO device_identity (id, pkcs8) VALUES (1, ?1)",
                [pkcs8],
            )?;
            Ok(())
        })
    }

    /// The device's private key (PKCS#8), wiped from memory when dropped.
    pub fn device_key(&self) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>> {
        self.read(|tx| {
            let k: Option<Vec<u8>> = tx
                .query_row("SELECT pkcs8 FROM device_identity WHERE id = 1", [], |r| {
                    r.get(0)
                })
                .optional()?;
            Ok(k.map(zeroize::Zeroizing::new))
        })
    }
}
