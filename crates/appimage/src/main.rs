//! `ecabinet-appimage-runtime`: the program at the head of E-Cabinet's AppImage.
//!
//! An AppImage (type 2) is an ELF program with a SquashFS image appended to
//! it; the image holds an `AppRun` and everything the app needs. The usual
//! runtime mounts the image with FUSE. This one never needs FUSE (many
//! government desktops and every container lack `fusermount`): it extracts
//! the image into a new folder only this user can open, runs `AppRun` from
//! there, and removes the folder when the app exits — what the upstream
//! runtime does with `APPIMAGE_EXTRACT_AND_RUN=1`. The folder has a random
//! name made with `mkdtemp`, so another user on a shared machine cannot plant
//! files in it beforehand (the upstream runtime's fixed
//! `/tmp/appimage_extracted_<hash>` can be raced that way).
//!
//! The options are the upstream runtime's, where they make sense without FUSE:
//! `--appimage-extract` (into `./squashfs-root`), `--appimage-offset`,
//! `--appimage-version`, `--appimage-help`. Any other argument goes to the app.

use std::ffi::OsString;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

mod elf;
mod extract;

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("E-Cabinet AppImage: {e}");
            ExitCode::from(127)
        }
    }
}

fn run() -> Result<ExitCode, String> {
    let image =
        std::env::current_exe().map_err(|e| format!("cannot find this program's own file: {e}"))?;
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let first = args.first().and_then(|a| a.to_str()).unwrap_or("");
    match first {
        "--appimage-help" => {
            println!(
                "E-Cabinet AppImage {VERSION}\n\n\
                 (no option)            run E-Cabinet (the image is extracted into a private\n                        \
                 temporary folder, removed again when the app exits)\n  \
                 --appimage-extract     extract the image into ./squashfs-root\n  \
                 --appimage-offset      print where the image starts in this file\n  \
                 --appimage-version     print this runtime's version\n  \
                 --appimage-help        this text"
            );
            Ok(ExitCode::SUCCESS)
        }
        "--appimage-version" => {
            println!("{VERSION}");
            Ok(ExitCode::SUCCESS)
        }
        "--appimage-offset" => {
            println!("{}", open_image(&image)?.1);
            Ok(ExitCode::SUCCESS)
        }
        "--appimage-extract" => {
            let target = PathBuf::from("squashfs-root");
            if target.symlink_metadata().is_ok() {
                return Err(format!(
                    "{} already exists: move it away first",
                    target.display()
                ));
            }
            std::fs::create_dir(&target)
                .map_err(|e| format!("cannot create {}: {e}", target.display()))?;
            extract_image(&image, &target)?;
            println!("extracted into {}", target.display());
            Ok(ExitCode::SUCCESS)
        }
        a if a.starts_with("--appimage-") => Err(format!(
            "{a} is not supported by this runtime (it needs no FUSE): see --appimage-help"
        )),
        _ => run_app(&image, args),
    }
}

/// Opens the AppImage and finds where its SquashFS image starts: the end of
/// the runtime's own ELF file, checked against SquashFS's magic so a damaged
/// file gets a clear error. The file handed back is the one that was checked.
fn open_image(image: &Path) -> Result<(File, u64), String> {
    let mut file =
        File::open(image).map_err(|e| format!("cannot open {}: {e}", image.display()))?;
    let offset = elf::end_of_elf(&mut file)
        .map_err(|e| format!("{} is not an AppImage: {e}", image.display()))?;
    let mut magic = [0u8; 4];
    std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(offset))
        .and_then(|_| file.read_exact(&mut magic))
        .map_err(|_| {
            format!(
                "{} has no image after its runtime (truncated download?)",
                image.display()
            )
        })?;
    if &magic != b"hsqs" {
        return Err(format!(
            "{} has no SquashFS image after its runtime (damaged file?)",
            image.display()
        ));
    }
    // The superblock says how long the image is (`bytes_used`, at byte 40):
    // a download cut short is refused before anything of it runs.
    let mut used = [0u8; 8];
    std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(offset + 40))
        .and_then(|_| file.read_exact(&mut used))
        .map_err(|_| {
            format!(
                "the image in {} is damaged: truncated superblock",
                image.display()
            )
        })?;
    let length = file
        .metadata()
        .map_err(|e| format!("cannot read {}: {e}", image.display()))?
        .len();
    if length - offset < u64::from_le_bytes(used) {
        return Err(format!(
            "the image in {} is damaged: it is cut short (an incomplete download?)",
            image.display()
        ));
    }
    Ok((file, offset))
}

fn extract_image(image: &Path, target: &Path) -> Result<(), String> {
    let (file, offset) = open_image(image)?;
    let fs = backhand::FilesystemReader::from_reader_with_offset(BufReader::new(file), offset)
        .map_err(|e| format!("the image in {} is damaged: {e}", image.display()))?;
    extract::extract_all(&fs, target)
}

/// Extracts into a new private folder, runs its `AppRun` with the upstream
/// runtime's environment (`APPIMAGE`, `APPDIR`, `ARGV0`, `OWD`), passes
/// termination signals on, and removes the folder once the app has exited.
fn run_app(image: &Path, args: Vec<OsString>) -> Result<ExitCode, String> {
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|d| d.is_dir())
        .unwrap_or_else(std::env::temp_dir);
    let appdir = extract::private_dir(&base, "ecabinet-appimage-")?;
    let outcome = extract_image(image, &appdir).and_then(|()| {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        // Registered before the app starts, so no signal falls between the two.
        let signals = termination_signals();
        let argv0 = std::env::args_os().next().unwrap_or_default();
        let mut child = Command::new(appdir.join("AppRun"))
            .args(args)
            .env("APPIMAGE", image)
            .env("APPDIR", &appdir)
            .env("ARGV0", argv0)
            .env("OWD", cwd)
            .spawn()
            .map_err(|e| format!("cannot start the app: {e}"))?;
        let forwarder = signals.and_then(|s| forward_signals(s, child.id()));
        let status = child.wait().map_err(|e| format!("lost the app: {e}"))?;
        if let Some(handle) = forwarder {
            handle.close();
        }
        Ok(status)
    });
    let removed = std::fs::remove_dir_all(&appdir);
    let status = outcome?;
    if let Err(e) = removed {
        eprintln!(
            "E-Cabinet AppImage: could not remove {}: {e}",
            appdir.display()
        );
    }
    Ok(match status.code() {
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        // Killed by a signal: the shell's convention, 128 + the signal.
        None => {
            let signal = std::os::unix::process::ExitStatusExt::signal(&status).unwrap_or(0);
            ExitCode::from(u8::try_from(128 + signal).unwrap_or(255))
        }
    })
}

fn termination_signals() -> Option<signal_hook::iterator::Signals> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    signal_hook::iterator::Signals::new([SIGTERM, SIGINT, SIGHUP]).ok()
}

/// SIGTERM, SIGINT and SIGHUP sent to the runtime go on to the app, so that a
/// desktop's logout or a `kill` ends the app and the runtime still cleans up.
fn forward_signals(
    mut signals: signal_hook::iterator::Signals,
    child: u32,
) -> Option<signal_hook::iterator::Handle> {
    let handle = signals.handle();
    let pid = rustix::process::Pid::from_raw(i32::try_from(child).ok()?)?;
    std::thread::spawn(move || {
        for signal in signals.forever() {
            if let Some(signal) = rustix::process::Signal::from_named_raw(signal) {
                // The app may have exited already; nothing to do then.
                let _ = rustix::process::kill_process(pid, signal);
            }
        }
    });
    Some(handle)
}
