//! The file system's identity of a blob file, which lets `crate::seal`
//! remember that a file passed the whole-blob check.

use std::fs;

/// What the file system says about a blob file at the moment it was checked
/// end to end. On Unix the change time (`ctime`) moves on every write,
/// truncation, rename or permission change and cannot be set back by an
/// ordinary process, so an equal stamp means the file is the one checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileStamp {
    pub(crate) size: u64,
    pub(crate) inode: u64,
    pub(crate) mtime_ns: i64,
    pub(crate) ctime_ns: i64,
}

impl FileStamp {
    #[cfg(unix)]
    pub(crate) fn of(meta: &fs::Metadata) -> FileStamp {
        use std::os::unix::fs::MetadataExt;
        let ns = |s: i64, n: i64| s.saturating_mul(1_000_000_000).saturating_add(n);
        FileStamp {
            size: meta.len(),
            inode: meta.ino(),
            mtime_ns: ns(meta.mtime(), meta.mtime_nsec()),
            ctime_ns: ns(meta.ctime(), meta.ctime_nsec()),
        }
    }

    /// Without a change time the modification time is the best there is;
    /// the chunk tags still authenticate every byte read.
    #[cfg(not(unix))]
    pub(crate) fn of(meta: &fs::Metadata) -> FileStamp {
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
        FileStamp {
            size: meta.len(),
            inode: 0,
            mtime_ns,
            ctime_ns: mtime_ns,
        }
    }
}
