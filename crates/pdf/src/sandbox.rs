//! Confinement of the helper programs that read untrusted PDFs on the server
//! (`ecabinet-pdfcheck` at upload, `ecabinet-ocr` for scans).
//!
//! PDFium and Tesseract are large C/C++ parsers fed with files that anyone
//! with a secretary's account can upload. The resource limits
//! ([`crate::limits::Caps`]) stop a file from exhausting the machine; this
//! module stops a file that takes control of a helper from reaching what the
//! server holds. A confined helper:
//!
//! - reads and executes only system files (`/usr`, the loader's cache, the
//!   font configuration), the PDFium library and the OCR program and its
//!   language models: never the server's data directory (database, signing
//!   key, blobs), its configuration in `/etc/ecabinet`, or a home directory;
//! - writes, creates, renames, truncates and removes nothing anywhere but
//!   the null device (its answer goes out on the pipes it was given);
//! - cannot bind or connect a TCP socket (the server, PostgreSQL, the object
//!   store, the internet), reach an abstract Unix socket made outside it, or
//!   signal or trace a process outside it (the server);
//! - keeps all of this across `execve` (no new privileges), so the Tesseract
//!   processes it starts are confined the same way.
//!
//! It is built on Landlock (Linux 5.13 and later, enabled in Debian's
//! kernels) for the files, TCP, signals and abstract sockets, and on a
//! seccomp filter that works on any kernel with seccomp: no socket of any
//! kind can be made (so no UDP, no Unix socket reached by its path such as a
//! local PostgreSQL's, no TCP on kernels whose Landlock has no network
//! rules), no io_uring (which could make one), no `truncate` of a path (which
//! Landlock governs only from Linux 6.2), no tracing or reading another
//! process's memory. The Landlock rules are applied as far as the running
//! kernel allows (all of them from Linux 6.12; Debian 12's 6.1 has the file
//! rules without truncation, network and signal rules), and [`Confinement`]
//! says how far that was: the helpers report anything short of full
//! confinement on stderr, which the server writes to its log once.

use std::path::{Path, PathBuf};

/// How far a helper is confined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confinement {
    /// Every rule above is enforced.
    Full,
    /// Some rules are enforced; the text says which could not be.
    Partial(String),
    /// None is (no Landlock in this kernel, or not on Linux).
    None(String),
}

impl Confinement {
    /// A line for the log when the confinement is not full.
    pub fn warning(&self) -> Option<String> {
        match self {
            Confinement::Full => None,
            Confinement::Partial(why) => Some(format!("only partly sandboxed: {why}")),
            Confinement::None(why) => Some(format!("not sandboxed: {why}")),
        }
    }
}

/// The system paths a confined helper may read and execute below, where
/// they exist: programs and libraries, the loader's and fontconfig's files,
/// the fonts PDFium falls back to, Tesseract's models (`/usr/share`), the
/// CPU count OpenMP asks for, and randomness.
pub const SYSTEM_READ: &[&str] = &[
    "/usr",
    "/lib",
    "/lib64",
    "/lib32",
    "/bin",
    "/sbin",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/fonts",
    "/etc/localtime",
    "/var/cache/fontconfig",
    "/proc/cpuinfo",
    "/sys/devices/system/cpu",
    "/dev/urandom",
];

/// Where a confined helper may also write: only the null device (a shell
/// script or a program discarding output opens it for writing).
pub const NULL_DEVICE: &str = "/dev/null";

/// Confines the calling thread and everything it starts from now on (call
/// it before starting any other thread): reads and executes below
/// [`SYSTEM_READ`] and `extra_read` only, writes only to [`NULL_DEVICE`], no TCP, no
/// signals or abstract sockets outside. Paths that do not exist are
/// skipped. An error means a rule could not be built (a bug, or a path that
/// cannot be opened); a kernel without Landlock is not an error but
/// [`Confinement::None`].
pub fn confine(extra_read: &[PathBuf]) -> Result<Confinement, String> {
    let mut read: Vec<PathBuf> = SYSTEM_READ.iter().map(PathBuf::from).collect();
    read.extend(extra_read.iter().cloned());
    read.retain(|p| p.exists());
    let landlock = imp::confine(&read)?;
    let seccomp = imp::deny_syscalls();
    Ok(match (landlock, seccomp) {
        (Confinement::Full, Ok(())) => Confinement::Full,
        (c, Ok(())) => c,
        (Confinement::Full, Err(why)) => Confinement::Partial(format!("no seccomp filter: {why}")),
        (Confinement::Partial(why), Err(more)) => {
            Confinement::Partial(format!("{why}; no seccomp filter: {more}"))
        }
        (Confinement::None(why), Err(more)) => Confinement::None(format!("{why}; {more}")),
    })
}

/// What a helper program reads besides the system: the PDFium library
/// file itself (not its folder, which may hold other things), and the OCR
/// program and its models when they are elsewhere (`$ECABINET_TESSERACT`,
/// `$TESSDATA_PREFIX`).
pub fn helper_reads(ocr_program: Option<&Path>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(lib) = crate::library::locate_pdfium() {
        out.push(lib);
    }
    if let Some(p) = ocr_program.filter(|p| p.is_absolute()) {
        out.push(p.to_path_buf());
    }
    if let Some(models) = std::env::var_os("TESSDATA_PREFIX").filter(|v| !v.is_empty()) {
        out.push(PathBuf::from(models));
    }
    out
}

#[cfg(target_os = "linux")]
mod imp {
    use super::Confinement;
    use landlock::{
        path_beneath_rules, Access, AccessFs, AccessNet, RulesetAttr, RulesetCreatedAttr,
        RulesetStatus, Scope, ABI,
    };
    use std::path::PathBuf;

    /// The newest Landlock ABI these rules were written and tested for.
    const ABI_USED: ABI = ABI::V6;

    pub(super) fn confine(read: &[PathBuf]) -> Result<Confinement, String> {
        let err = |e: landlock::RulesetError| e.to_string();
        let status = landlock::Ruleset::default()
            .handle_access(AccessFs::from_all(ABI_USED))
            .map_err(err)?
            .handle_access(AccessNet::from_all(ABI_USED))
            .map_err(err)?
            .scope(Scope::from_all(ABI_USED))
            .map_err(err)?
            .create()
            .map_err(err)?
            .add_rules(path_beneath_rules(read, AccessFs::from_read(ABI_USED)))
            .map_err(err)?
            .add_rules(path_beneath_rules(
                [super::NULL_DEVICE],
                AccessFs::ReadFile | AccessFs::WriteFile,
            ))
            .map_err(err)?
            .restrict_self()
            .map_err(err)?;
        Ok(match (status.ruleset, status.no_new_privs) {
            (RulesetStatus::FullyEnforced, true) => Confinement::Full,
            (RulesetStatus::NotEnforced, _) => {
                Confinement::None("this kernel does not offer Landlock".into())
            }
            (RulesetStatus::PartiallyEnforced, _) => Confinement::Partial(
                "this kernel's Landlock lacks some rules (network or scope rules need Linux 6.7 and 6.12)"
                    .into(),
            ),
            (RulesetStatus::FullyEnforced, false) => {
                Confinement::Partial("no_new_privs could not be set".into())
            }
        })
    }

    /// The system calls a helper never needs and an attacker would: each
    /// answers EPERM. Everything else is allowed (the file and network
    /// rules are Landlock's).
    const DENIED: &[libc::c_long] = &[
        libc::SYS_socket,
        libc::SYS_io_uring_setup,
        libc::SYS_truncate,
        libc::SYS_ptrace,
        libc::SYS_process_vm_readv,
        libc::SYS_process_vm_writev,
    ];

    pub(super) fn deny_syscalls() -> Result<(), String> {
        use seccompiler::{BpfProgram, SeccompAction, SeccompFilter, TargetArch};
        let arch = TargetArch::try_from(std::env::consts::ARCH).map_err(|e| e.to_string())?;
        let rules = DENIED.iter().map(|&nr| (nr, Vec::new())).collect();
        let filter = SeccompFilter::new(
            rules,
            SeccompAction::Allow,
            SeccompAction::Errno(libc::EPERM as u32),
            arch,
        )
        .map_err(|e| e.to_string())?;
        let program = BpfProgram::try_from(filter).map_err(|e| e.to_string())?;
        seccompiler::apply_filter(&program).map_err(|e| e.to_string())
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use super::Confinement;
    use std::path::PathBuf;

    pub(super) fn confine(_read: &[PathBuf]) -> Result<Confinement, String> {
        Ok(Confinement::None(
            "confinement is built for Linux only".into(),
        ))
    }

    pub(super) fn deny_syscalls() -> Result<(), String> {
        Err("seccomp is Linux only".into())
    }
}
