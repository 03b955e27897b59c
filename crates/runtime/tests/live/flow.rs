//! Flow control under a flood: `pause-after`, `%pause`, resume with a re-capture, frames
//! coalesced per batch, and the pane equal to tmux's at the end.

use std::time::{Duration, Instant};

use crate::support::{have_tmux, Live};
use muxlink_runtime::{ClientConfig, PaneId};
use muxlink_testkit::TmuxServer;

fn prompt_back(server: &TmuxServer) -> bool {
    let out = server
        .tmux_ok(&["capture-pane", "-p", "-t", "%0"])
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&out);
    let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    lines.len() >= 2 && lines[lines.len() - 1] == "#" && lines[lines.len() - 2] == "10000000"
}

/// Attached clients that are not control clients.
fn tty_clients(server: &TmuxServer) -> usize {
    let out = server
        .tmux_ok(&["list-clients", "-F", "#{client_control_mode}"])
        .unwrap_or_default();
    String::from_utf8_lossy(&out)
        .lines()
        .filter(|l| l.trim() == "0")
        .count()
}

/// `script` runs `tmux attach` on a pseudo-terminal of its own; killed on drop.
struct TtyClient(std::process::Child);

impl Drop for TtyClient {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn tty_client(server: &TmuxServer) -> Option<TtyClient> {
    // The server's own program: a client of another release may not speak its protocol.
    let cmd = format!(
        "stty cols 80 rows 25; '{}' -L {} attach -t main",
        server.program().display(),
        server.socket_name()
    );
    std::process::Command::new("script")
        .args(["-qfc", &cmd, "/dev/null"])
        .env_remove("TMUX")
        // tmux refuses to attach a client whose terminal it cannot use (TERM unset or dumb,
        // as in some CI environments).
        .env("TERM", "xterm-256color")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()
        .map(TtyClient)
}

#[test]
fn flood_pauses_resumes_and_ends_equal() {
    if !have_tmux() {
        return;
    }
    let server = TmuxServer::start_with("rc-flood", 80, 24, &["sh"]).unwrap();
    server
        .tmux_ok(&["set-option", "-g", "history-limit", "2000"])
        .unwrap();
    // Window names are compared too: automatic-rename takes the window from `sh` to `seq`
    // and back during the flood. tmux may hold the `%window-renamed` back (with a `%pause`)
    // until it writes this client something else; the client nudges it (`core/stall.rs`).
    let mut live = Live::attach(
        &server,
        ClientConfig::default()
            .with_size(80, 24)
            .with_pause_after(Some(1)),
    );
    live.ready();
    // An ordinary client on a PTY, so tmux reads the pane at full speed whatever we do.
    let Some(_tty_client) = tty_client(&server) else {
        eprintln!("`script` not installed; skipping");
        return;
    };
    // Wait until the ordinary client is attached: without it tmux reads the pane only as
    // fast as the control client takes the output, and nothing ever ages (seen on a loaded
    // machine, where `script` takes a while to start).
    let deadline = Instant::now() + Duration::from_secs(20);
    while tty_clients(&server) == 0 {
        assert!(
            Instant::now() < deadline,
            "the ordinary tmux client did not attach"
        );
        live.pump(Duration::from_millis(100));
    }
    // A burst that fills the pipe, a trickle (about 10 KB/s for 4 s), then the flood. tmux
    // 3.3a checks a control client's oldest queued output for age only when the pane
    // produces more, and stops reading a pane whose output a control client has fallen far
    // behind on: a flood fills that backlog before anything is a second old, so it is the
    // trickle, queued behind the burst, that ages.
    live.client
        .send_input(
            PaneId(0),
            b"PS1='# '; seq 1 30000; i=0; while [ $i -lt 40 ]; do seq 1 200; sleep 0.1; \
              i=$((i+1)); done; seq 1 10000000\r",
        )
        .unwrap();
    live.pump(Duration::from_millis(300));
    // Stop reading. tmux keeps reading the pane for the ordinary client (below), so the
    // control client's queued output ages past pause-after and tmux pauses the pane.
    // On a loaded machine this may not happen in time: stall again (with a new flood when
    // the last one is over) a few times, then pause by hand.
    let mut paused = false;
    for _ in 0..3 {
        live.set_stalled(true);
        std::thread::sleep(Duration::from_millis(3000));
        live.set_stalled(false);
        paused = live.pump_until(Duration::from_secs(5), |_, h| h.paused.contains(&PaneId(0)));
        eprintln!(
            "after stall: paused {paused}, max age {:?} ms, {} bytes in",
            live.host.ages.iter().max(),
            live.bytes_in
        );
        if paused {
            break;
        }
        live.pump_until(Duration::from_secs(60), |_, h| {
            h.paused.contains(&PaneId(0)) || prompt_back(&server)
        });
        if live.host.paused.contains(&PaneId(0)) {
            paused = true;
            break;
        }
        live.client
            .send_input(PaneId(0), b"seq 1 10000000\r")
            .unwrap();
        live.pump(Duration::from_millis(300));
    }
    if !paused {
        // Whether tmux 3.3a pauses on age depends on how it schedules reading the pane among
        // its clients; on a loaded machine it may keep every client's output fresh. The rest
        // (paused under a flood, resumed with a re-capture, equal at the end) still needs
        // testing: pause by hand, as a host may (`%pause` then arrives in the reply body).
        eprintln!("tmux did not pause on age under this load; pausing with refresh-client -A");
        if prompt_back(&server) {
            live.client
                .send_input(PaneId(0), b"seq 1 10000000\r")
                .unwrap();
            live.pump(Duration::from_millis(300));
        }
        live.client
            .raw_command("refresh-client -A '%0:pause'", Box::new(|r| assert!(r.ok)))
            .unwrap();
        paused = live.pump_until(Duration::from_secs(10), |_, h| {
            h.paused.contains(&PaneId(0))
        });
    }
    assert!(
        paused,
        "no %pause: {:?}",
        live.host
            .events
            .iter()
            .skip(live.host.events.len().saturating_sub(5))
            .collect::<Vec<_>>()
    );
    assert!(live.client.state().pane(PaneId(0)).unwrap().paused);
    let pauses = live.host.paused.len();
    live.client.resume_pane(PaneId(0)).unwrap();
    assert!(live.pump_until(Duration::from_secs(10), |_, h| h
        .resumed
        .contains(&PaneId(0))));
    // Under the flood tmux may pause the pane again in the same batch as the resume's
    // capture: then by a new `%pause`, never by the old one.
    assert!(
        !live.client.state().pane(PaneId(0)).unwrap().paused || live.host.paused.len() > pauses,
        "still paused without a new %pause"
    );
    // Keep up (resuming whenever tmux pauses again) until the flood is over.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut resumed = live.host.resumed.len();
    while !prompt_back(&server) {
        assert!(Instant::now() < deadline, "flood did not finish");
        live.pump(Duration::from_millis(50));
        if live.host.paused.len() > resumed && live.client.state().pane(PaneId(0)).unwrap().paused {
            live.client.resume_pane(PaneId(0)).unwrap();
            resumed = live.host.paused.len();
        }
    }
    // Take what is still queued (the client may be far behind tmux), resuming whenever tmux
    // paused the pane meanwhile, until nothing is queued, the pane runs and the model equals
    // tmux's. A `%pause` may come late: tmux held it back until the client's nudge.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        live.pump(Duration::from_millis(100));
        if live.client.state().pane(PaneId(0)).unwrap().paused {
            live.client.resume_pane(PaneId(0)).unwrap();
        } else if !live.is_behind() && crate::support::compare(&live.client, &server).is_ok() {
            break;
        }
        if Instant::now() >= deadline {
            // Fails with the difference.
            live.assert_equal_at(&server, "never caught up with the flood");
        }
    }
    live.assert_equal_at(&server, "after flood");
    // pause-after turns %output into %extended-output; its ages reach the host
    assert!(
        live.host.ages.iter().any(|&a| a > 0),
        "no output age reported"
    );
    // One frame per pane per batch at most: the flood's ~10^7 lines became few frames.
    assert!(
        live.host.frames <= live.batches + 2,
        "{} frames for {} batches",
        live.host.frames,
        live.batches
    );
    eprintln!(
        "flood: {} bytes in, {} batches, {} frames, {} rows",
        live.bytes_in, live.batches, live.host.frames, live.host.frame_rows
    );
}
