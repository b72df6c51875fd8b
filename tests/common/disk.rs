//! Real disk trouble for tests, undone on drop: files made immutable (`chattr +i`, which stops
//! even root from writing them) and a tiny tmpfs that can be filled up. Both need root and a
//! cooperative file system; each says why when it cannot be had, so the caller can skip loudly.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `program args`; `Err` with what it said when it fails or is missing.
fn run(program: &str, args: &[&str]) -> Result<(), String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "`{program} {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr).trim()
    ))
}

/// Files that nobody can write (`chattr +i`) until this is dropped.
pub struct Immutable(Vec<PathBuf>);

impl Immutable {
    /// Makes `files` immutable and checks that a write really fails; `Err` says why not.
    pub fn set(files: &[&Path]) -> Result<Immutable, String> {
        let mut done = Immutable(Vec::new());
        for file in files {
            run("chattr", &["+i", &file.to_string_lossy()])?;
            done.0.push(file.to_path_buf());
        }
        for file in files {
            if std::fs::OpenOptions::new().append(true).open(file).is_ok() {
                return Err(format!(
                    "{} is still writable after chattr +i",
                    file.display()
                ));
            }
        }
        Ok(done)
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        for file in &self.0 {
            if let Err(e) = run("chattr", &["-i", &file.to_string_lossy()]) {
                eprintln!("could not make {} writable again: {e}", file.display());
            }
        }
    }
}

/// A tmpfs of a few MiB mounted on a temporary directory, unmounted on drop.
pub struct Tmpfs {
    /// The mount point.
    pub dir: PathBuf,
    /// Holds the mount point's parent.
    _parent: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts a tmpfs of `mib` MiB; `Err` says why not (not root, no mount permission, ...).
    pub fn mount(mib: u32) -> Result<Tmpfs, String> {
        let parent = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
        let dir = parent.path().join("mnt");
        std::fs::create_dir(&dir).map_err(|e| format!("mount point: {e}"))?;
        let size = format!("size={mib}m,mode=0700");
        run(
            "mount",
            &[
                "-t",
                "tmpfs",
                "-o",
                &size,
                "hookpit-test",
                &dir.to_string_lossy(),
            ],
        )?;
        Ok(Tmpfs {
            dir,
            _parent: parent,
        })
    }

    /// Writes `name` until the file system is full; returns its path.
    pub fn fill(&self, name: &str) -> PathBuf {
        use std::io::Write;
        let path = self.dir.join(name);
        let mut file = std::fs::File::create(&path).expect("filler file");
        let chunk = vec![0u8; 64 * 1024];
        // Then byte by byte, so not even a partial block is left.
        while file.write_all(&chunk).is_ok() {}
        while file.write_all(&[0]).is_ok() {}
        let _ = file.sync_all();
        path
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let dir = self.dir.to_string_lossy().into_owned();
        // Lazily if something (a panicking test's server) still holds a file open.
        if run("umount", &[&dir]).is_ok() {
            return;
        }
        if let Err(e) = run("umount", &["-l", &dir]) {
            eprintln!("could not unmount the test tmpfs at {dir}: {e}");
        }
    }
}
