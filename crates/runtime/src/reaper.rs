//! Children the library stopped waiting for: reaped on a small thread of its own, so that no
//! host call blocks in `waitpid` and no zombie is left behind.
//!
//! [`adopt`] takes a child that has not exited yet and a grace period. The reaper thread
//! checks on its children every [`POLL`] without blocking (`try_wait`), kills a child whose
//! grace has passed, and reaps it. The thread starts when the first child arrives and ends
//! when the last one is reaped, so an idle process has no reaper thread. It installs no
//! signal handler and touches no other process.

use std::process::Child;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How often the reaper checks on its children.
pub(crate) const POLL: Duration = Duration::from_millis(10);

struct Orphan {
    child: Child,
    kill_at: Instant,
    killed: bool,
}

struct Reaper {
    orphans: Vec<Orphan>,
    /// A thread is running (it ends once `orphans` is empty, clearing this under the lock).
    running: bool,
}

static REAPER: Mutex<Reaper> = Mutex::new(Reaper {
    orphans: Vec::new(),
    running: false,
});

fn lock() -> MutexGuard<'static, Reaper> {
    // Nothing the reaper does under the lock can leave its state half-changed.
    REAPER.lock().unwrap_or_else(|e| e.into_inner())
}

/// Takes over `child`: it may exit on its own for `grace`, then it is killed; either way it
/// is reaped. Never blocks (starts the reaper thread when none runs; should that fail, the
/// child is killed and reaped here, which returns as soon as the kill has taken effect).
pub(crate) fn adopt(child: Child, grace: Duration) {
    let mut r = lock();
    r.orphans.push(Orphan {
        child,
        kill_at: Instant::now() + grace,
        killed: false,
    });
    if r.running {
        return;
    }
    r.running = true;
    drop(r);
    let spawned = std::thread::Builder::new()
        .name("muxlink-reaper".into())
        .spawn(run);
    if spawned.is_err() {
        let orphans = {
            let mut r = lock();
            r.running = false;
            std::mem::take(&mut r.orphans)
        };
        for mut o in orphans {
            let _ = o.child.kill();
            let _ = o.child.wait();
        }
    }
}

/// Blocks until the reaper has reaped every child it holds (each still gets its grace, then
/// is killed), for at most `within`; then kills what is left and gives the reaper a last
/// moment. Returns whether none is left. For a program about to exit, whose reaper thread
/// would otherwise die with it and leave its children running.
pub(crate) fn finish_all(within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if lock().orphans.is_empty() {
            return true;
        }
        std::thread::sleep(POLL);
    }
    {
        let mut r = lock();
        for o in r.orphans.iter_mut() {
            if !o.killed {
                let _ = o.child.kill();
                o.killed = true;
            }
        }
    }
    let last = Instant::now() + 10 * POLL;
    while Instant::now() < last {
        if lock().orphans.is_empty() {
            return true;
        }
        std::thread::sleep(POLL);
    }
    false
}

fn run() {
    loop {
        {
            let mut r = lock();
            let now = Instant::now();
            r.orphans.retain_mut(|o| {
                match o.child.try_wait() {
                    // Reaped, or not ours to reap any more (SIGCHLD ignored by the host).
                    Ok(Some(_)) | Err(_) => return false,
                    Ok(None) => {}
                }
                if !o.killed && now >= o.kill_at {
                    let _ = o.child.kill();
                    o.killed = true;
                }
                true
            });
            if r.orphans.is_empty() {
                // Give the buffer back too: an idle process holds nothing of the reaper's
                // (a host counting muxlink's allocations sees none outstanding).
                r.orphans = Vec::new();
                r.running = false;
                return;
            }
        }
        std::thread::sleep(POLL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    fn gone(pid: u32) -> bool {
        // A zombie keeps its /proc entry until it is reaped.
        !std::path::Path::new(&format!("/proc/{pid}")).exists()
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn adopted_children_are_killed_after_grace_and_reaped() {
        let spawn = |script: &str| {
            Command::new("sh")
                .arg("-c")
                .arg(script)
                .stdin(Stdio::null())
                .spawn()
                .unwrap()
        };
        // One exits by itself within its grace, one ignores SIGTERM and must be killed.
        let quick = spawn("sleep 0.05");
        let stubborn = spawn("trap '' TERM; exec sleep 30");
        let (a, b) = (quick.id(), stubborn.id());
        let t = Instant::now();
        adopt(quick, Duration::from_secs(30));
        adopt(stubborn, Duration::from_millis(50));
        assert!(t.elapsed() < Duration::from_millis(50), "adopt blocked");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !(gone(a) && gone(b)) {
            assert!(Instant::now() < deadline, "not reaped: {a} {b}");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "the quick child was not held to its long grace"
        );
    }
}
