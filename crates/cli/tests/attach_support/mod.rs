//! Helpers shared by the `muxlink attach` tests (`attach.rs`, `attach_ui.rs`): muxlink runs in
//! a pane of a private "outer" tmux (the real terminal) attached to a private "inner" tmux.

#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use muxlink_testkit::TmuxServer;

pub const WAIT: Duration = Duration::from_secs(20);

/// `capture-pane -p -t target`.
pub fn screen(server: &TmuxServer, target: &str) -> String {
    server
        .tmux_ok(&["capture-pane", "-p", "-t", target])
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// A tmux command's output, line by line (empty when it fails).
pub fn lines(server: &TmuxServer, args: &[&str]) -> Vec<String> {
    server
        .tmux_ok(args)
        .map(|b| {
            String::from_utf8_lossy(&b)
                .lines()
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Waits up to [`WAIT`] for `f`; on timeout fails showing the server's windows and screen.
pub fn wait(server: &TmuxServer, what: &str, mut f: impl FnMut(&TmuxServer) -> bool) {
    if server.wait_for(WAIT, |s| f(s).then_some(())).is_err() {
        let windows = lines(
            server,
            &[
                "list-windows",
                "-F",
                "#{window_id} #{window_width}x#{window_height}",
            ],
        );
        panic!(
            "timed out waiting for {what}; windows {windows:?}; screen:\n{}",
            screen(server, "main")
        );
    }
}

/// Writes an executable stand-in `ssh` into `dir` that runs the remote words locally.
pub fn stand_in_ssh(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let ssh = dir.join("ssh");
    std::fs::write(
        &ssh,
        "#!/bin/sh\nwhile [ $# -gt 0 ]; do case \"$1\" in --) shift; break;; *) shift;; esac; done\n\
         exec sh -c \"exec $*\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&ssh, std::fs::Permissions::from_mode(0o755)).unwrap();
}
