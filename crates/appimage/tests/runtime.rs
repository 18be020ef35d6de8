//! The runtime on real images: made by Debian's `mksquashfs` the way
//! `scripts/package` makes the app's, put behind the built runtime, and run.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const RUNTIME: &str = env!("CARGO_BIN_EXE_ecabinet-appimage-runtime");

/// An AppDir whose AppRun reports what it was given, then an AppImage of it:
/// the runtime, the SquashFS image, and the type-2 magic at byte 8.
fn image(dir: &Path, app_run: &str) -> PathBuf {
    let appdir = dir.join("AppDir");
    std::fs::create_dir_all(appdir.join("usr/share/ecabinet")).expect("appdir");
    std::fs::write(appdir.join("usr/share/ecabinet/greeting.txt"), "Xin chào\n").expect("data");
    std::os::unix::fs::symlink("usr/share/ecabinet/greeting.txt", appdir.join("greeting"))
        .expect("link");
    std::fs::write(appdir.join("AppRun"), app_run).expect("AppRun");
    std::fs::set_permissions(
        appdir.join("AppRun"),
        std::fs::Permissions::from_mode(0o755),
    )
    .expect("mode");
    let squashfs = dir.join("image.squashfs");
    let made = Command::new("mksquashfs")
        .arg(&appdir)
        .arg(&squashfs)
        .args([
            "-comp",
            "gzip",
            "-root-owned",
            "-noappend",
            "-quiet",
            "-no-progress",
        ])
        .status()
        .expect("mksquashfs (squashfs-tools, installed by scripts/setup)");
    assert!(made.success());
    let mut bytes = std::fs::read(RUNTIME).expect("runtime");
    bytes[8..11].copy_from_slice(b"AI\x02");
    bytes.extend(std::fs::read(&squashfs).expect("image"));
    let path = dir.join("E-Cabinet-test-x86_64.AppImage");
    std::fs::write(&path, bytes).expect("write");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("mode");
    path
}

const REPORTING_APP_RUN: &str = r#"#!/bin/sh
echo "args=$*"
echo "appdir=$APPDIR"
echo "appimage=$APPIMAGE"
echo "owd=$OWD"
cat "$APPDIR/greeting"
exit 3
"#;

fn run(image: &Path, runtime_dir: &Path, cwd: &Path, args: &[&str]) -> Output {
    Command::new(image)
        .args(args)
        .current_dir(cwd)
        .env("XDG_RUNTIME_DIR", runtime_dir)
        .output()
        .expect("the AppImage runs")
}

fn entries(dir: &Path) -> usize {
    std::fs::read_dir(dir).expect("dir").count()
}

#[test]
fn the_app_runs_from_a_private_folder_that_is_removed_afterwards() {
    let dir = tempfile::tempdir().expect("dir");
    let appimage = image(dir.path(), REPORTING_APP_RUN);
    let runtime_dir = tempfile::tempdir().expect("runtime dir");
    let out = run(&appimage, runtime_dir.path(), dir.path(), &["--lang", "vi"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(3),
        "the app's exit code is the AppImage's: {stdout}"
    );
    assert!(stdout.contains("args=--lang vi"), "{stdout}");
    assert!(
        stdout.contains(&format!("appimage={}", appimage.display())),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("owd={}", dir.path().display())),
        "{stdout}"
    );
    assert!(
        stdout.contains("Xin chào"),
        "the image's files and links are there: {stdout}"
    );
    let appdir = stdout
        .lines()
        .find_map(|l| l.strip_prefix("appdir="))
        .expect("APPDIR");
    assert!(
        Path::new(appdir).starts_with(runtime_dir.path()),
        "extracted under XDG_RUNTIME_DIR: {appdir}"
    );
    assert_eq!(
        entries(runtime_dir.path()),
        0,
        "the extracted folder is removed when the app exits"
    );
}

#[test]
fn extracting_writes_squashfs_root_with_links_and_modes() {
    let dir = tempfile::tempdir().expect("dir");
    let appimage = image(dir.path(), REPORTING_APP_RUN);
    let cwd = tempfile::tempdir().expect("cwd");
    let out = run(&appimage, cwd.path(), cwd.path(), &["--appimage-extract"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let root = cwd.path().join("squashfs-root");
    let app_run = std::fs::metadata(root.join("AppRun")).expect("AppRun");
    assert_eq!(
        app_run.permissions().mode() & 0o777,
        0o755,
        "AppRun stays executable"
    );
    assert_eq!(
        std::fs::read_link(root.join("greeting")).expect("a link"),
        PathBuf::from("usr/share/ecabinet/greeting.txt")
    );
    assert_eq!(
        std::fs::read_to_string(root.join("greeting")).expect("read"),
        "Xin chào\n"
    );
    // The extracted AppRun works on its own, as a user without FUSE runs it.
    let again = Command::new(root.join("AppRun"))
        .env("APPDIR", &root)
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&again.stdout).contains("Xin chào"));
    // A second extraction does not write over the first.
    let out = run(&appimage, cwd.path(), cwd.path(), &["--appimage-extract"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
}

#[test]
fn a_truncated_or_missing_image_is_refused_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().expect("dir");
    let appimage = image(dir.path(), REPORTING_APP_RUN);
    let bytes = std::fs::read(&appimage).expect("read");
    let offset: usize = String::from_utf8_lossy(
        &run(&appimage, dir.path(), dir.path(), &["--appimage-offset"]).stdout,
    )
    .trim()
    .parse()
    .expect("an offset");
    assert_eq!(
        &bytes[offset..offset + 4],
        b"hsqs",
        "the offset is where the image starts"
    );

    let runtime_dir = tempfile::tempdir().expect("runtime dir");
    // A download cut half-way through the image (mksquashfs pads the file to
    // 4 KiB: the image's own length is in its superblock).
    let used = u64::from_le_bytes(bytes[offset + 40..offset + 48].try_into().expect("8 bytes"));
    let cut = dir.path().join("cut.AppImage");
    std::fs::write(
        &cut,
        &bytes[..offset + usize::try_from(used / 2).expect("small")],
    )
    .expect("write");
    std::fs::set_permissions(&cut, std::fs::Permissions::from_mode(0o755)).expect("mode");
    let out = run(&cut, runtime_dir.path(), dir.path(), &[]);
    assert_eq!(out.status.code(), Some(127));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("damaged"), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing of the app ran");
    assert_eq!(
        entries(runtime_dir.path()),
        0,
        "no half-extracted folder is left"
    );

    // The runtime with nothing behind it.
    let bare = dir.path().join("bare.AppImage");
    std::fs::write(&bare, &bytes[..offset]).expect("write");
    std::fs::set_permissions(&bare, std::fs::Permissions::from_mode(0o755)).expect("mode");
    let out = run(&bare, runtime_dir.path(), dir.path(), &[]);
    assert_eq!(out.status.code(), Some(127));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no image after its runtime"));
}

#[test]
fn a_termination_signal_reaches_the_app_and_the_folder_is_still_removed() {
    let dir = tempfile::tempdir().expect("dir");
    let appimage = image(
        dir.path(),
        "#!/bin/sh\ntrap 'echo stopped > \"$OWD/stopped\"; exit 0' TERM\necho started > \"$OWD/started\"\nwhile :; do sleep 0.1; done\n",
    );
    let runtime_dir = tempfile::tempdir().expect("runtime dir");
    let mut child = Command::new(&appimage)
        .current_dir(dir.path())
        .env("XDG_RUNTIME_DIR", runtime_dir.path())
        .stdout(Stdio::null())
        .spawn()
        .expect("starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !dir.path().join("started").exists() {
        assert!(Instant::now() < deadline, "the app never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    let status = child.wait().expect("exits");
    assert!(
        status.success(),
        "the app's own exit after its TERM handler: {status:?}"
    );
    assert!(
        dir.path().join("stopped").exists(),
        "the app got the signal"
    );
    assert_eq!(entries(runtime_dir.path()), 0);
}
