//! Running a stage in a child process and reading its peak resident memory.
//!
//! Each stage runs in a fresh process so that one stage's allocations do not raise the
//! next one's peak. The peak comes from `wait4`, which reports the resource use of that
//! one child; `getrusage(RUSAGE_CHILDREN)` would give the largest peak of all children
//! waited for so far.

use crate::BenchError;
use std::ffi::OsString;
use std::io::Read as _;
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};

/// How to start a child process of this program that runs one stage: the program and the
/// arguments before the stage (the CLI's hidden `bench-stage` subcommand).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageCommand {
    /// The executable (normally `std::env::current_exe()`).
    pub program: PathBuf,
    /// Arguments before the stage's JSON.
    pub args: Vec<OsString>,
}

/// What a finished child printed and used.
pub(crate) struct Finished {
    pub stdout: String,
    /// Peak resident set size in bytes, where the platform reports it.
    pub peak_rss: Option<u64>,
}

/// Runs `command` with `envs` set, standard output captured and standard error passed
/// through; fails unless it exits 0.
pub(crate) fn run(mut command: Command, what: &str) -> Result<Finished, BenchError> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let spawn_failed = |e: std::io::Error| BenchError::Child {
        what: what.to_owned(),
        message: e.to_string(),
    };
    let mut child = command.spawn().map_err(spawn_failed)?;
    let mut stdout = String::new();
    if let Some(mut out) = child.stdout.take() {
        out.read_to_string(&mut stdout).map_err(spawn_failed)?;
    }
    let (status, peak_rss) = wait(&mut child).map_err(spawn_failed)?;
    if !status.success() {
        return Err(BenchError::Child {
            what: what.to_owned(),
            message: format!("exited with {status}"),
        });
    }
    Ok(Finished { stdout, peak_rss })
}

#[cfg(unix)]
fn wait(child: &mut std::process::Child) -> std::io::Result<(ExitStatus, Option<u64>)> {
    use std::os::unix::process::ExitStatusExt;
    let pid = libc::pid_t::try_from(child.id()).map_err(std::io::Error::other)?;
    let mut status: libc::c_int = 0;
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    loop {
        // SAFETY: `pid` is our own child, not yet reaped (std's `Child` is not waited
        // on); `status` and `usage` point to writable memory of the right types.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, usage.as_mut_ptr()) };
        if reaped == pid {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    // SAFETY: wait4 returned the child's pid, so it filled in `usage`.
    let usage = unsafe { usage.assume_init() };
    // Linux reports ru_maxrss in kilobytes, macOS in bytes.
    let unit = if cfg!(target_os = "macos") { 1 } else { 1024 };
    let peak = u64::try_from(usage.ru_maxrss).ok().map(|kb| kb * unit);
    Ok((ExitStatus::from_raw(status), peak))
}

#[cfg(not(unix))]
fn wait(child: &mut std::process::Child) -> std::io::Result<(ExitStatus, Option<u64>)> {
    Ok((child.wait()?, None))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_child_that_holds_memory_reports_a_larger_peak_than_one_that_does_not() {
        // `head -c` of /dev/zero into a shell variable holds the bytes in the shell.
        let small = run(Command::new("true"), "true").unwrap();
        let mut big = Command::new("sh");
        big.args(["-c", "x=$(head -c 50000000 /dev/zero | tr '\\0' a); echo ${#x}"]);
        let big = run(big, "sh").unwrap();
        assert_eq!(big.stdout.trim(), "50000000");
        let (small, big) = (small.peak_rss.unwrap(), big.peak_rss.unwrap());
        assert!(big > small + 40_000_000, "{big} vs {small}");
    }

    #[test]
    fn a_failing_child_is_an_error() {
        assert!(run(Command::new("false"), "false").is_err());
    }
}
