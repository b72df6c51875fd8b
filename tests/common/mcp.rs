//! The official MCP Python SDK as a test client (tests/interop/mcp_client.py): one run connects
//! over stdio (`hookpit mcp`) or Streamable HTTP (`/mcp`), lists the tools and makes the calls
//! given, in order.

use serde_json::Value;

use super::{skipped, text};

/// The client script.
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/mcp_client.py");

/// Whether Python's `mcp` is importable; panics under CI, where it must be.
pub fn python_mcp_available(test: &str) -> bool {
    let ok = std::process::Command::new("python3")
        .args(["-c", "import mcp"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("python3 cannot import mcp; CI must `pip install mcp` before the tests");
        }
        skipped(test, "python mcp package not installed (pip install mcp)");
    }
    ok
}

/// What the Python client saw: its JSON answer and its stderr.
pub struct Seen {
    pub out: Value,
    pub stderr: String,
}

impl Seen {
    /// The result of call `i`.
    pub fn result(&self, i: usize) -> &Value {
        &self.out["results"][i]
    }
}

/// Runs the Python client with `transport` arguments and the `calls` to make, in order.
pub async fn client(transport: &[&str], calls: &Value) -> Seen {
    let mut args = vec![SCRIPT];
    args.extend(transport);
    let mut child = tokio::process::Command::new("python3")
        .args(&args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("python3 starts");
    let mut input = child.stdin.take().expect("stdin");
    tokio::io::AsyncWriteExt::write_all(&mut input, calls.to_string().as_bytes())
        .await
        .expect("write calls");
    drop(input);
    let output = tokio::time::timeout(
        std::time::Duration::from_secs(120),
        child.wait_with_output(),
    )
    .await
    .expect("the client ends within 2 minutes")
    .expect("the client runs");
    let stdout = text(&output.stdout);
    Seen {
        out: serde_json::from_str(stdout.trim())
            .unwrap_or_else(|e| panic!("client printed no JSON ({e}): {stdout}")),
        stderr: text(&output.stderr),
    }
}

/// Client arguments for stdio: the built `hookpit mcp --ui UI`.
pub fn stdio(ui: &str) -> Vec<String> {
    vec![
        "stdio".into(),
        env!("CARGO_BIN_EXE_hookpit").into(),
        "mcp".into(),
        "--ui".into(),
        ui.into(),
    ]
}

/// The strings as `&str`s.
pub fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}
