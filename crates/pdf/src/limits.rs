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

/// The caps a helper program runs under, from its `--max-memory-mib N` and
/// `--max-cpu-secs N` arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    pub memory_mib: u64,
    pub cpu_secs: u64,
}

impl Caps {
    /// Takes the value of `flag` from `args` when `flag` is one of the caps'
    /// own: `Some(Ok(()))` taken, `Some(Err(why))` without a number, `None`
    /// when `flag` is another argument.
    pub fn take(
        &mut self,
        flag: &str,
        args: &mut impl Iterator<Item = String>,
    ) -> Option<Result<(), String>> {
        let slot = match flag {
            "--max-memory-mib" => &mut self.memory_mib,
            "--max-cpu-secs" => &mut self.cpu_secs,
            _ => return None,
        };
        Some(match args.next().and_then(|v| v.parse::<u64>().ok()) {
            Some(n) => {
                *slot = n;
                Ok(())
            }
            None => Err(format!("{flag} needs a number")),
        })
    }

    /// Applies them to this process ([`limit_this_process`]).
    pub fn apply(&self) -> std::io::Result<()> {
        limit_this_process(self.memory_mib, self.cpu_secs)
    }
}
