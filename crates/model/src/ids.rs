//! Opaque identifiers. They are strings (UUIDs on the wire) wrapped in
//! distinct types so a member id cannot be passed where a device id is meant.

use std::fmt;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// A motion (one question put to a vote).
    MotionId
);
id_type!(
    /// A committee member (a user id).
    MemberId
);
id_type!(
    /// An enrolled device; its key signs the member's ballots.
    DeviceId
);
id_type!(
    /// An outbox operation (UUIDv7 text). Operations are idempotent by this id,
    /// and ties between ballots cast at the same instant are broken by comparing
    /// it as text (UUIDv7 text sorts by creation time).
    OpId
);
