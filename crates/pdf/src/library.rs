//! Finding, loading and identifying the PDFium shared library.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use pdfium_render::prelude::Pdfium;

pub use crate::error::PdfError;

/// Environment variable that names the PDFium library file (or its folder).
pub const PDFIUM_ENV: &str = "ECABINET_PDFIUM";

/// The library's file name on this platform (`libpdfium.so` on Linux).
fn library_file_name() -> std::ffi::OsString {
    Pdfium::pdfium_platform_library_name()
}

/// What was loaded: the library's path and its build version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfiumInfo {
    pub path: PathBuf,
    /// e.g. `159.0.8149.0`, from the `version.json` shipped beside the library;
    /// `None` when the library came without one.
    pub version: Option<String>,
}

/// The places searched for the library, in order: `$ECABINET_PDFIUM` (a file
/// or a folder), the executable's folder, `../lib/<executable name>/` from
/// it (where the packages install it), then the checkout's setup folder
/// `.tools/pdfium` found by walking up from the executable and from the
/// current directory.
pub fn candidate_paths() -> Vec<PathBuf> {
    let name = library_file_name();
    let mut out = Vec::new();
    if let Some(env) = std::env::var_os(PDFIUM_ENV) {
        let p = PathBuf::from(env);
        if p.extension() == Some(OsStr::new("so")) || p.is_file() {
            out.push(p);
        } else {
            out.push(p.join(&name));
        }
    }
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf));
    if let Some(dir) = &exe_dir {
        out.push(dir.join(&name));
        // Installed: `/usr/bin/ecabinet-app` keeps its PDFium in
        // `/usr/lib/ecabinet-app/` (the Debian packages' layout).
        let own = std::env::current_exe()
            .ok()
            .and_then(|e| e.file_name().map(|n| n.to_owned()));
        if let (Some(prefix), Some(own)) = (dir.parent(), own) {
            out.push(prefix.join("lib").join(own).join(&name));
        }
    }
    let starts = exe_dir.into_iter().chain(std::env::current_dir().ok());
    for start in starts {
        for dir in start.ancestors() {
            let candidate = dir.join(".tools").join("pdfium").join(&name);
            if !out.contains(&candidate) && dir.join(".tools").is_dir() {
                out.push(candidate);
            }
        }
    }
    out
}

/// Returns the first candidate library file that exists.
pub fn locate_pdfium() -> Result<PathBuf, PdfError> {
    let tried = candidate_paths();
    tried
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or(PdfError::LibraryNotFound { tried })
}

fn read_version(library: &Path) -> Option<String> {
    let json = std::fs::read_to_string(library.with_file_name("version.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&json).ok()?;
    let part = |k: &str| v.get(k).and_then(serde_json::Value::as_u64);
    Some(format!(
        "{}.{}.{}.{}",
        part("major")?,
        part("minor")?,
        part("build")?,
        part("patch")?
    ))
}

static PDFIUM: OnceLock<Result<(Pdfium, PdfiumInfo), String>> = OnceLock::new();

/// Loads PDFium once per process and returns it with what was loaded.
///
/// PDFium can be bound only once per process, so every caller shares the
/// instance; callers must still serialise calls through one owner thread.
pub fn pdfium() -> Result<(&'static Pdfium, &'static PdfiumInfo), PdfError> {
    let loaded = PDFIUM.get_or_init(|| {
        let path = locate_pdfium().map_err(|e| e.to_string())?;
        let bindings =
            Pdfium::bind_to_library(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let info = PdfiumInfo {
            version: read_version(&path),
            path,
        };
        Ok((Pdfium::new(bindings), info))
    });
    match loaded {
        Ok((p, info)) => Ok((p, info)),
        Err(msg) => match locate_pdfium() {
            Err(e) => Err(e),
            Ok(path) => Err(PdfError::LibraryLoad {
                path,
                reason: msg.clone(),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_the_library_from_the_setup_folder_and_reports_its_build() {
        let (_pdfium, info) = pdfium().expect("PDFium loads (run scripts/setup first)");
        assert!(info.path.is_file());
        let version = info
            .version
            .as_deref()
            .expect("version.json beside the library");
        // The setup pins pypdfium2, whose library is PDFium build 8149.
        assert_eq!(version.split('.').nth(2), Some("8149"), "{version}");
    }

    #[test]
    fn a_missing_library_names_every_place_tried() {
        let err = PdfError::LibraryNotFound {
            tried: vec![
                PathBuf::from("/a/libpdfium.so"),
                PathBuf::from("/b/libpdfium.so"),
            ],
        };
        let msg = err.to_string();
        assert!(
            msg.contains("/a/libpdfium.so") && msg.contains("/b/libpdfium.so"),
            "{msg}"
        );
    }
}
