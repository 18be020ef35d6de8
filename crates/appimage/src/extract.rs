//! Writing the image's files into a folder. The image is ours, but the file
//! it sits in is a download: a damaged or doctored one must not write
//! outside the folder, so every path is checked, nothing is written through
//! a symbolic link (links are made last, after every file and folder), no
//! existing file is opened (`create_new`), and set-id bits are dropped.

use std::fs::{self, OpenOptions, Permissions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use backhand::{FilesystemReader, InnerNode};

/// A new folder under `base` that only this user can open, with a random name.
pub fn private_dir(base: &Path, prefix: &str) -> Result<PathBuf, String> {
    tempfile::Builder::new()
        .prefix(prefix)
        .permissions(Permissions::from_mode(0o700))
        .tempdir_in(base)
        .map(tempfile::TempDir::keep)
        .map_err(|e| format!("cannot make a private folder in {}: {e}", base.display()))
}

/// Extracts every node of `fs` into `target`, which must exist and be empty.
pub fn extract_all(fs: &FilesystemReader, target: &Path) -> Result<(), String> {
    let mut dirs = Vec::new();
    let mut links = Vec::new();
    for node in fs.files() {
        let path = inside(target, &node.fullpath)?;
        // Never set-user-id or set-group-id; a folder always stays writable
        // to its owner so the runtime can remove it again.
        let mode = u32::from(node.header.permissions) & 0o777;
        match &node.inner {
            InnerNode::Dir(_) => {
                if path != target {
                    fs::create_dir(&path).map_err(|e| write_error(&node.fullpath, e))?;
                }
                dirs.push((path, mode | 0o700));
            }
            InnerNode::File(file) => {
                let out = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(mode)
                    .open(&path)
                    .map_err(|e| write_error(&node.fullpath, e))?;
                let mut out = BufWriter::with_capacity(1 << 20, out);
                let mut reader = fs.file(file).reader_checked().map_err(|e| {
                    format!("the image is damaged at {}: {e}", node.fullpath.display())
                })?;
                std::io::copy(&mut reader, &mut out)
                    .and_then(|_| out.flush())
                    .map_err(|e| {
                        format!("the image is damaged at {}: {e}", node.fullpath.display())
                    })?;
            }
            InnerNode::Symlink(link) => links.push((path, link.link.clone())),
            _ => {
                return Err(format!(
                    "the image holds a device, pipe or socket at {}: refused",
                    node.fullpath.display()
                ))
            }
        }
    }
    for (path, link) in links {
        std::os::unix::fs::symlink(&link, &path).map_err(|e| write_error(&path, e))?;
    }
    // Deepest first, so a folder without write permission is set after its contents.
    for (path, mode) in dirs.into_iter().rev() {
        fs::set_permissions(&path, Permissions::from_mode(mode))
            .map_err(|e| write_error(&path, e))?;
    }
    Ok(())
}

/// `name` (an absolute path inside the image) under `target`, refusing `..`
/// and anything else that could point elsewhere.
fn inside(target: &Path, name: &Path) -> Result<PathBuf, String> {
    let mut path = target.to_path_buf();
    for component in name.components() {
        match component {
            Component::RootDir => {}
            Component::Normal(part) => path.push(part),
            _ => {
                return Err(format!(
                    "the image holds a path outside itself ({}): refused",
                    name.display()
                ))
            }
        }
    }
    Ok(path)
}

fn write_error(name: &Path, e: std::io::Error) -> String {
    format!("cannot write {}: {e}", name.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_target() {
        let target = Path::new("/tmp/x");
        assert_eq!(
            inside(target, Path::new("/")).expect("root"),
            PathBuf::from("/tmp/x")
        );
        assert_eq!(
            inside(target, Path::new("/usr/bin/app")).expect("a file"),
            PathBuf::from("/tmp/x/usr/bin/app")
        );
        assert!(inside(target, Path::new("/usr/../../etc/passwd")).is_err());
        assert!(inside(target, Path::new("../etc")).is_err());
    }

    #[test]
    fn the_private_folder_is_the_users_alone() {
        let base = tempfile::tempdir().expect("base");
        let dir = private_dir(base.path(), "t-").expect("made");
        let mode = fs::metadata(&dir).expect("exists").permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        let again = private_dir(base.path(), "t-").expect("made");
        assert_ne!(dir, again, "each run gets its own folder");
    }
}
