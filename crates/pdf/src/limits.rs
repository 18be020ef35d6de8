//! Resource caps for the helper programs the server runs on untrusted
//! files (`ecabinet-pdfcheck`, `ecabinet-ocr`): a hostile PDF can exhaust
//! only the process that opened it.

/// Caps this process's address space and CPU time (children such as
/// Tesseract inherit them): past them the kernel refuses the allocation or
/// ends the process, and the server sees no result.
#[cfg(unix)]
pub fn limit_this_process(memory_mib: u64, cpu_secs: u64) -> std::io::Result<()> {
    use rustix::process::{setrlimit, Resource, Rlimit};
    let cap = |n: u64| Rlimit {
        current: Some(n),
        maximum: Some(n),
    };
    setrlimit(Resource::As, cap(memory_mib.saturating_mul(1024 * 1024)))?;
    setrlimit(Resource::Cpu, cap(cpu_secs))?;
    Ok(())
}

/// Windows has no rlimits; the server's wall-clock deadline still applies.
#[cfg(not(unix))]
pub fn limit_this_process(_memory_mib: u64, _cpu_secs: u64) -> std::io::Result<()> {
    Ok(())
}
