//! What people read on stdout: lines that survive a closed pipe (`hookpit send … | head -1`),
//! and counts with the right plural ("1 route", "2 routes").

use std::fmt::Display;
use std::io::Write as _;

/// Exit status of a command whose reader went away, as a shell reports one ended by SIGPIPE.
const BROKEN_PIPE_EXIT: i32 = 141;

/// Prints one line for a command-line tool. When stdout is a closed pipe the process ends
/// quietly, as `head` expects of the command before it; other write errors are ignored, as
/// there is nowhere left to report them.
pub fn line(text: impl Display) {
    let mut stdout = std::io::stdout().lock();
    let written = writeln!(stdout, "{text}").and_then(|()| stdout.flush());
    if written.is_err_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) {
        std::process::exit(BROKEN_PIPE_EXIT);
    }
}

/// Writes bytes as they are (a file streamed to stdout), ending quietly on a closed pipe as
/// [`line`] does; other write errors are returned.
pub fn bytes(data: &[u8]) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    let written = stdout.write_all(data).and_then(|()| stdout.flush());
    if written
        .as_ref()
        .is_err_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    {
        std::process::exit(BROKEN_PIPE_EXIT);
    }
    written
}

/// Prints one line for a long-running server (banner, relay URL): a closed stdout must not stop
/// it, so any write error is ignored.
pub fn note(text: impl Display) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}").and_then(|()| stdout.flush());
}

/// `n` and `noun`, plural unless `n` is 1: `counted(1, "route")` is "1 route".
pub fn counted(n: impl Into<u64>, noun: &str) -> String {
    match n.into() {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_everything_else_plural() {
        assert_eq!(counted(1u32, "route"), "1 route");
        assert_eq!(counted(0u32, "route"), "0 routes");
        assert_eq!(counted(2u64, "message"), "2 messages");
    }
}
