//! Test helpers shared by muxlink's crates.
//!
//! [`TmuxServer`] starts a tmux server on a private socket (`tmux -L <unique> -f /dev/null`)
//! and kills it when dropped, whether the test passed or panicked. Nothing here ever talks to
//! a default server.
#![deny(missing_docs)]

use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Whether a `tmux` binary can be run here; tests that need one skip when it cannot.
///
/// A skip must never hide a broken set-up, so this panics instead of answering `false` when
/// tmux was asked for: `MUXLINK_TEST_TMUX` names a program (an empty or wrong name included)
/// or `MUXLINK_REQUIRE_TMUX` is set to anything but `0` (`scripts/test-all` sets it).
pub fn tmux_available() -> bool {
    let program = default_program();
    let runs = Command::new(&program)
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !runs {
        let named = std::env::var_os("MUXLINK_TEST_TMUX").is_some();
        let required = std::env::var_os("MUXLINK_REQUIRE_TMUX").is_some_and(|v| v != "0");
        assert!(
            !named && !required,
            "tmux is required here (MUXLINK_TEST_TMUX or MUXLINK_REQUIRE_TMUX is set) but \
             `{} -V` does not run",
            program.display()
        );
    }
    runs
}

/// The tmux version as `(major, minor)`, e.g. `(3, 3)` for "tmux 3.3a".
pub fn tmux_version() -> Option<(u32, u32)> {
    let out = Command::new(default_program()).arg("-V").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    // The static 3.2a build prints its program's name first.
    let v = text.trim().rsplit(' ').next()?;
    let v = v.strip_prefix("next-").unwrap_or(v);
    let mut it = v.split('.');
    let major = it.next()?.parse().ok()?;
    let minor: String = it
        .next()?
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    Some((major, minor.parse().ok()?))
}

/// The static tmux build `tmux-NAME` (`3.2a`, `3.7c`, `next-3.8`, ...) in the project's
/// shared folder beside the repository (`../shared/tmux/`), when it is there.
pub fn shared_tmux(name: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/tmux")
        .join(format!("tmux-{name}"));
    p.is_file().then_some(p)
}

/// The tmux programs a test should run against: the system's `tmux` (when installed), then
/// each of the shared builds `names` (see [`shared_tmux`]) that is present. Says on stderr
/// which are missing, so a skipped release is visible in the test's output.
pub fn tmux_programs(names: &[&str]) -> Vec<PathBuf> {
    let mut v = Vec::new();
    if tmux_available() {
        // By its full path: a child whose PATH puts another release first (see
        // `tmux_path_dir`) must still run the system's.
        let system = std::env::var_os("PATH")
            .and_then(|p| {
                std::env::split_paths(&p)
                    .map(|d| d.join("tmux"))
                    .find(|f| f.is_file())
            })
            .unwrap_or_else(|| PathBuf::from("tmux"));
        v.push(system);
    } else {
        eprintln!("system tmux not installed; .ci/run installs it");
    }
    for name in names {
        match shared_tmux(name) {
            Some(p) => v.push(p),
            None => eprintln!("../shared/tmux/tmux-{name} absent: not tested"),
        }
    }
    v
}

/// The tmux program [`TmuxServer::start`] and [`TmuxServer::start_with`] run: `tmux`, or
/// the program named by the environment variable `MUXLINK_TEST_TMUX` (a path or a release
/// name of the shared builds, `3.2a`, `next-3.8`), so that a whole test suite can run
/// against another release: `MUXLINK_TEST_TMUX=3.2a cargo test -p muxlink-runtime`.
pub fn default_program() -> PathBuf {
    match std::env::var_os("MUXLINK_TEST_TMUX") {
        Some(v) => {
            let name = v.to_string_lossy().into_owned();
            shared_tmux(&name).unwrap_or_else(|| PathBuf::from(v))
        }
        None => PathBuf::from("tmux"),
    }
}

/// When `MUXLINK_TEST_TMUX` names another tmux: a directory holding only `tmux`, a link to
/// that program, to put first on a child's `PATH`, so that a program that runs `tmux`
/// itself (the `muxlink` binary's attach and snapshot) talks to the servers of the release
/// under test with a client of the same release. Made once per test process, in the
/// system's temporary directory; `None` without the variable.
pub fn tmux_path_dir() -> Option<PathBuf> {
    static DIR: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        std::env::var_os("MUXLINK_TEST_TMUX")?;
        let program = std::fs::canonicalize(default_program()).ok()?;
        let dir = std::env::temp_dir().join(format!("muxlink-test-tmux-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        let link = dir.join("tmux");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&program, &link).ok()?;
        Some(dir)
    })
    .clone()
}

/// `PATH` with [`tmux_path_dir`] first, when there is one.
pub fn path_with_test_tmux() -> Option<std::ffi::OsString> {
    let dir = tmux_path_dir()?;
    let mut paths = vec![dir];
    if let Some(old) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&old));
    }
    std::env::join_paths(paths).ok()
}

/// A tmux server on a private socket, killed on drop.
pub struct TmuxServer {
    name: String,
    program: PathBuf,
    socket_path: Option<PathBuf>,
}

impl TmuxServer {
    /// Starts a server with one detached session named `main` of the given size whose panes
    /// run `/bin/sh` (the `default-shell`), with the status line off. `tag` makes the socket
    /// name readable.
    pub fn start(tag: &str, cols: u16, rows: u16) -> io::Result<Self> {
        Self::start_with(tag, cols, rows, &[])
    }

    /// Like [`TmuxServer::start`], with a command for the first pane (`sh -c` style words).
    pub fn start_with(tag: &str, cols: u16, rows: u16, shell_cmd: &[&str]) -> io::Result<Self> {
        Self::start_program(&default_program(), tag, cols, rows, shell_cmd)
    }

    /// Like [`TmuxServer::start_with`], with another tmux program (a path, e.g. from
    /// [`tmux_programs`]); every command of this server then runs that program. The session
    /// gets its size even on tmux 3.2a, which ignores `new-session -x/-y` without a client
    /// (the window is resized with `resize-window` then).
    pub fn start_program(
        program: &Path,
        tag: &str,
        cols: u16,
        rows: u16,
        shell_cmd: &[&str],
    ) -> io::Result<Self> {
        let name = format!(
            "muxlink-test-{}-{}-{}",
            tag,
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let mut server = TmuxServer {
            name,
            program: program.to_path_buf(),
            socket_path: None,
        };
        let cols_s = cols.to_string();
        let rows_s = rows.to_string();
        // `start-server` + options first, so that every pane (the first one too) runs a plain
        // `/bin/sh` instead of the user's login shell with its slow, unpredictable profile.
        let mut args: Vec<&str> = vec![
            "start-server",
            ";",
            "set-option",
            "-g",
            "default-shell",
            "/bin/sh",
            ";",
            "set-option",
            "-g",
            "exit-empty",
            "off",
            ";",
            "new-session",
            "-d",
            "-s",
            "main",
            "-x",
            &cols_s,
            "-y",
            &rows_s,
        ];
        args.extend_from_slice(shell_cmd);
        let out = server.tmux(&args)?;
        if !out.status.success() {
            return Err(io::Error::other(format!(
                "tmux new-session failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        // Predictable panes: no status line taking a row.
        server.tmux_ok(&["set-option", "-g", "status", "off"])?;
        let size =
            server.tmux_ok(&["display-message", "-p", "#{window_width}x#{window_height}"])?;
        let want = format!("{cols}x{rows}");
        if String::from_utf8_lossy(&size).trim() != want {
            // `resize-window` makes the window's size manual, so that no client could resize
            // it afterwards: unset that again (the size stays until a client changes it).
            server.tmux_ok(&[
                "set-option",
                "-g",
                "default-size",
                &want,
                ";",
                "resize-window",
                "-t",
                "main",
                "-x",
                &cols_s,
                "-y",
                &rows_s,
                ";",
                "set-option",
                "-wu",
                "-t",
                "main",
                "window-size",
            ])?;
        }
        let path = server.tmux_ok(&["display-message", "-p", "#{socket_path}"])?;
        let path = String::from_utf8_lossy(&path).trim().to_string();
        if !path.is_empty() {
            server.socket_path = Some(PathBuf::from(path));
        }
        Ok(server)
    }

    /// The socket name passed to `-L`.
    pub fn socket_name(&self) -> &str {
        &self.name
    }

    /// The tmux program this server runs (`tmux`, or a path).
    pub fn program(&self) -> &Path {
        &self.program
    }

    /// What the server's `tmux -V` prints after `tmux ` (`3.3a`, `next-3.8`); empty when it
    /// cannot be run.
    pub fn version(&self) -> String {
        let out = self.command().arg("-V").output();
        let text = out.map(|o| o.stdout).unwrap_or_default();
        let text = String::from_utf8_lossy(&text);
        let text = text.trim();
        // The static 3.2a build prints its program name first.
        text.rsplit(' ').next().unwrap_or_default().to_string()
    }

    /// A `tmux -L <name>` command ready for more arguments.
    pub fn command(&self) -> Command {
        let mut c = Command::new(&self.program);
        c.arg("-L").arg(&self.name).arg("-f").arg("/dev/null");
        c.env_remove("TMUX");
        c.env("ENV", "/dev/null");
        c
    }

    /// Runs `tmux -L <name> ARGS` and returns its output.
    pub fn tmux<S: AsRef<OsStr>>(&self, args: &[S]) -> io::Result<Output> {
        self.command().args(args).stdin(Stdio::null()).output()
    }

    /// Sizes window `main` to `cols` x `rows` as a client would, leaving no manual
    /// `window-size` behind (`resize-window` sets it; it is unset again at once).
    pub fn resize_main_window(&self, cols: u16, rows: u16) -> io::Result<()> {
        let (cols, rows) = (cols.to_string(), rows.to_string());
        self.tmux_ok(&[
            "resize-window",
            "-t",
            "main",
            "-x",
            &cols,
            "-y",
            &rows,
            ";",
            "set-option",
            "-wu",
            "-t",
            "main",
            "window-size",
        ])
        .map(drop)
    }

    /// Runs `tmux -L <name> ARGS`, failing unless it exits 0; returns stdout.
    pub fn tmux_ok<S: AsRef<OsStr>>(&self, args: &[S]) -> io::Result<Vec<u8>> {
        let out = self.tmux(args)?;
        if out.status.success() {
            Ok(out.stdout)
        } else {
            let shown: Vec<String> = args
                .iter()
                .map(|a| a.as_ref().to_string_lossy().into_owned())
                .collect();
            Err(io::Error::other(format!(
                "tmux {:?} failed: {}",
                shown,
                String::from_utf8_lossy(&out.stderr)
            )))
        }
    }

    /// Polls `probe` every 10 ms until it returns `Some`, or fails after `timeout`.
    pub fn wait_for<T>(
        &self,
        timeout: Duration,
        mut probe: impl FnMut(&Self) -> Option<T>,
    ) -> io::Result<T> {
        let start = Instant::now();
        loop {
            if let Some(v) = probe(self) {
                return Ok(v);
            }
            if start.elapsed() > timeout {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "condition not met"));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for TmuxServer {
    fn drop(&mut self) {
        let _ = self
            .command()
            .arg("kill-server")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        // tmux leaves its socket file behind; thousands of test runs would pile them up.
        if let Some(path) = &self.socket_path {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A global allocator that counts allocations, for tests proving a hot path allocates nothing
/// once warm. Install it in a test binary of its own:
///
/// ```ignore
/// #[global_allocator]
/// static ALLOC: muxlink_testkit::CountingAlloc = muxlink_testkit::CountingAlloc::new();
/// let ((), n) = ALLOC.allocations_during(|| { /* the steady-state work */ });
/// assert_eq!(n, 0);
/// ```
///
/// `allocations_during` counts the calling thread only, so the test harness's threads do not
/// disturb it; `allocations` is the process-wide total.
pub struct CountingAlloc {
    allocations: std::sync::atomic::AtomicU64,
    live: std::sync::atomic::AtomicUsize,
    peak: std::sync::atomic::AtomicUsize,
}

impl CountingAlloc {
    /// A counter at zero.
    pub const fn new() -> Self {
        CountingAlloc {
            allocations: std::sync::atomic::AtomicU64::new(0),
            live: std::sync::atomic::AtomicUsize::new(0),
            peak: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// Bytes allocated and not yet freed, by the whole process.
    pub fn live_bytes(&self) -> usize {
        self.live.load(Ordering::Relaxed)
    }

    /// The most [`CountingAlloc::live_bytes`] since the last [`CountingAlloc::reset_peak`]
    /// (process-wide: a memory-cap test runs alone in its binary).
    pub fn peak_bytes(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    /// Starts a new peak from the bytes live now.
    pub fn reset_peak(&self) {
        self.peak.store(self.live_bytes(), Ordering::Relaxed);
    }

    fn grew(&self, by: usize) {
        let now = self.live.fetch_add(by, Ordering::Relaxed) + by;
        self.peak.fetch_max(now, Ordering::Relaxed);
    }

    /// Allocations (and reallocations) made so far by the whole process.
    pub fn allocations(&self) -> u64 {
        self.allocations.load(Ordering::Relaxed)
    }

    /// Runs `f` and returns its result with the number of allocations (and reallocations)
    /// made by this thread meanwhile; other threads (the test harness's own) are not counted.
    pub fn allocations_during<R>(&self, f: impl FnOnce() -> R) -> (R, u64) {
        THREAD_COUNT.with(|c| c.set(Some(0)));
        let r = f();
        let n = THREAD_COUNT.with(|c| c.replace(None)).unwrap_or(0);
        (r, n)
    }
}

thread_local! {
    // Const-initialised and without a destructor, so the allocator may touch it.
    static THREAD_COUNT: std::cell::Cell<Option<u64>> = const { std::cell::Cell::new(None) };
}

fn count_this_thread() {
    let _ = THREAD_COUNT.try_with(|c| {
        if let Some(n) = c.get() {
            c.set(Some(n + 1));
        }
    });
}

impl Default for CountingAlloc {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: every call is forwarded unchanged to the system allocator; the wrapper only counts.
unsafe impl std::alloc::GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        self.allocations.fetch_add(1, Ordering::Relaxed);
        count_this_thread();
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which we pass on.
        let p = unsafe { std::alloc::System.alloc(layout) };
        if !p.is_null() {
            self.grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        self.live.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` was allocated by `System` through this wrapper with `layout`.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        self.allocations.fetch_add(1, Ordering::Relaxed);
        count_this_thread();
        // SAFETY: as for `alloc` and `dealloc`: the caller's contract, passed on to `System`.
        let p = unsafe { std::alloc::System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            self.live.fetch_sub(layout.size(), Ordering::Relaxed);
            self.grew(new_size);
        }
        p
    }
}

/// A fresh scratch directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates the directory.
    pub fn new(tag: &str) -> io::Result<Self> {
        let p = std::env::temp_dir().join(format!(
            "muxlink-{}-{}-{}",
            tag,
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&p)?;
        Ok(TempDir(p))
    }

    /// The directory's path.
    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The entry of a state document's list (`sessions`, `windows`, `panes`) whose `id` is `id`;
/// panics, naming it, when there is none.
pub fn entry_with_id<'a>(list: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    list.as_array()
        .into_iter()
        .flatten()
        .find(|v| v["id"] == id)
        .unwrap_or_else(|| panic!("{id} missing from {list}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_starts_and_is_killed() {
        if !tmux_available() {
            eprintln!("tmux not installed; .ci/run installs it");
            return;
        }
        let name;
        let socket;
        {
            let s = TmuxServer::start("kit", 40, 10).unwrap();
            name = s.socket_name().to_string();
            socket = s.socket_path.clone().expect("socket path known");
            assert!(socket.exists());
            let out = s
                .tmux_ok(&["list-panes", "-F", "#{pane_width}x#{pane_height}"])
                .unwrap();
            assert_eq!(String::from_utf8_lossy(&out).trim(), "40x10");
            let shell = s
                .tmux_ok(&["show-options", "-gv", "default-shell"])
                .unwrap();
            assert_eq!(String::from_utf8_lossy(&shell).trim(), "/bin/sh");
            s.tmux_ok(&["split-window", "-d"]).unwrap();
            let cmds = s
                .wait_for(Duration::from_secs(5), |s| {
                    let out = s
                        .tmux_ok(&["list-panes", "-F", "#{pane_current_command}"])
                        .ok()?;
                    let text = String::from_utf8_lossy(&out).into_owned();
                    (text.lines().count() == 2 && text.lines().all(|l| l == "sh")).then_some(text)
                })
                .unwrap();
            assert_eq!(cmds.lines().count(), 2);
        }
        let alive = Command::new("tmux")
            .args(["-L", &name, "list-sessions"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(!alive.success(), "server must be gone after drop");
        assert!(!socket.exists(), "socket file must be removed after drop");
    }
}
