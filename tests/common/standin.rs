//! Stand-ins for the tunnel programs (tests/tunnel_standin/standin.py under the names
//! cloudflared, ngrok and ssh, first on `PATH`), and a hookpit child process that runs them.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::child::{self, Proc};

/// A `bin` directory in `dir` holding the stand-in under every program's name.
pub fn stand_ins(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin dir");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tunnel_standin/standin.py");
    for name in ["cloudflared", "ngrok", "ssh"] {
        let to = bin.join(name);
        std::fs::copy(&script, &to).expect("copy the stand-in");
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    bin
}

/// `bin` first on this test's `PATH`.
pub fn path_with(bin: &Path) -> OsString {
    let rest = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![bin.to_path_buf()];
    dirs.extend(std::env::split_paths(&rest));
    std::env::join_paths(dirs).expect("PATH joins")
}

/// Starts hookpit in `dir` with `PATH` set to `path`, its stdout (the banner) kept in
/// `stdout.log`, its stderr in `stderr.log`.
pub async fn start(dir: &Path, path: OsString, flags: &[&str]) -> Proc {
    let out = std::fs::File::create(dir.join("stdout.log")).expect("stdout file");
    let db = dir.join("hookpit.db");
    child::start_serve_with(dir, &db, flags, "stderr.log", move |cmd| {
        cmd.env("PATH", path).stdout(out);
    })
    .await
}

/// `GET /api/status` of a hookpit child.
pub async fn status(proc: &Proc) -> serde_json::Value {
    let ui = proc.ui.expect("serve has a UI");
    let resp = child::try_get(ui, "/api/status")
        .await
        .expect("status answers");
    resp.json()
}

/// Whether process `pid` runs (a zombie does not count).
pub fn pid_alive(pid: u64) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains(") Z "))
}

/// `kill -KILL pid`.
pub fn kill9(pid: u64) {
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success(), "kill -KILL {pid}");
}
