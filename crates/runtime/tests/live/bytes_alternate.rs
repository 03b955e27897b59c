//! Bytes mode across a resize while the alternate screen is on (issue 12): tmux keeps the
//! saved normal screen at its old height and resizes it only when the alternate screen goes
//! off. The bytes a host receives for the pane (the last rebuild, then the pane's output),
//! fed to a fresh tmux pane of the same size, must give what the live pane shows, on the
//! alternate screen and after the program left it and printed more, in both orders of
//! events (resized before the attach, resized while attached), for a pane made shorter and
//! one made taller.
//!
//! Runs against the server the suite runs against (`MUXLINK_TEST_TMUX`): CI runs it on the
//! system's tmux, 3.2a and next-3.8.

use std::time::Duration;

use crate::support::{have_tmux, Live};
use muxlink_runtime::{ClientConfig, OutputMode, PaneId};
use muxlink_testkit::{TempDir, TmuxServer};

/// Every line with its styles (history included, when `history`), then size, cursor,
/// alternate screen (and history size, when `history`).
fn observe(server: &TmuxServer, target: &str, history: bool) -> Option<(String, String)> {
    let mut args = vec!["capture-pane", "-p", "-e", "-t", target];
    if history {
        args.extend(["-S", "-", "-E", "-"]);
    }
    let cap = server.tmux_ok(&args).ok()?;
    let mut f = "#{pane_width}x#{pane_height} #{cursor_x},#{cursor_y} #{alternate_on}".to_owned();
    if history {
        f.push_str(" #{history_size}");
    }
    let state = server
        .tmux_ok(&["display-message", "-p", "-t", target, &f])
        .ok()?;
    Some((
        String::from_utf8_lossy(&cap).into_owned(),
        String::from_utf8_lossy(&state).trim().to_owned(),
    ))
}

fn format(server: &TmuxServer, f: &str) -> Option<String> {
    let out = server
        .tmux_ok(&["display-message", "-p", "-t", "%0", f])
        .ok()?;
    Some(String::from_utf8_lossy(&out).trim().to_owned())
}

/// Feeds `bytes` to a fresh pane of the live pane's size on the same tmux and compares it
/// with the live pane (`history`: history included); the difference, if any.
fn compare(server: &TmuxServer, bytes: &[u8], history: bool, label: &str) -> Result<(), String> {
    let live = observe(server, "%0", history).ok_or("live pane unreadable")?;
    let size = live.1.split(' ').next().unwrap_or_default().to_owned();
    let (cols, rows) = size.split_once('x').ok_or("no size")?;
    let dir = TempDir::new("bytes-alt").map_err(|e| e.to_string())?;
    let file = dir.path().join("0.vt");
    std::fs::write(&file, bytes).map_err(|e| e.to_string())?;
    let fresh = TmuxServer::start_program(
        server.program(),
        "bytes-alt-fresh",
        cols.parse().unwrap(),
        rows.parse().unwrap(),
        &["exec sleep 100000"],
    )
    .map_err(|e| e.to_string())?;
    // Shown only once the pane has its size (3.2a sizes the session after it started).
    let cmd = format!("cat '{}'; exec sleep 100000", file.display());
    fresh
        .tmux_ok(&["respawn-pane", "-k", "-t", "%0", cmd.as_str()])
        .map_err(|e| e.to_string())?;
    let got = fresh
        .wait_for(Duration::from_secs(5), |s| {
            let o = observe(s, "%0", history)?;
            (o == live).then_some(o)
        })
        .ok()
        .or_else(|| observe(&fresh, "%0", history))
        .ok_or("fresh pane unreadable")?;
    if got == live {
        Ok(())
    } else {
        Err(format!(
            "{label}: fresh pane {:?} != live {:?}\nfresh: {:?}\nlive:  {:?}",
            got.1, live.1, got.0, live.0
        ))
    }
}

/// The bytes a host holds for pane %0: the last rebuild, then what came after it.
fn host_bytes(live: &Live) -> Vec<u8> {
    let pane = PaneId(0);
    let mut b = live
        .host
        .resets
        .iter()
        .rev()
        .find(|r| r.0 == pane)
        .map(|r| r.3.clone())
        .unwrap_or_default();
    b.extend_from_slice(live.host.pane_bytes.get(&pane).map_or(&[][..], |v| v));
    b
}

#[derive(Clone, Copy, Debug)]
enum Resize {
    /// 40 rows, made 19 by a split below it.
    Shrink,
    /// 23 rows, the window made 40 tall.
    Grow,
    /// 40 rows throughout; 45 lines (history), a wrapped line on both screens.
    None,
}

fn case(resize: Resize, attach_first: bool, cursor_up: bool) -> Vec<String> {
    let mut failures = Vec::new();
    let label = format!(
        "{resize:?}{}, {}",
        if cursor_up { " (cursor moved up)" } else { "" },
        match (resize, attach_first) {
            (Resize::None, _) => "wrapped lines, not resized",
            (_, true) => "resized while attached",
            (_, false) => "resized before the attach",
        }
    );
    let rows = match resize {
        Resize::Shrink | Resize::None => 40,
        Resize::Grow => 23,
    };
    // The pane waits for a go (not echoed) so that it prints at the size chosen here; with
    // the cursor moved up, lines below it are not blank (tmux drops them on a shrink all
    // the same).
    let up = if cursor_up {
        "printf '\\033[6;4H'; "
    } else {
        ""
    };
    // 30 lines (45 without a resize): coloured, with coloured blanks, one long enough to
    // wrap, one with wide characters (what the rebuild writes from its own emulator).
    let count = if matches!(resize, Resize::None) {
        45
    } else {
        30
    };
    let lines = "i=1; while [ $i -le COUNT ]; do case $i in \
                 7) printf '%0100d\\n' 7;; \
                 9) printf '9 \\344\\270\\255\\346\\226\\207 wide\\n';; \
                 *) printf '\\033[1;3%dm%d\\033[0m \\033[4%dm  \\033[0m\\n' $((i % 8)) $i $((i % 8));; \
                 esac; i=$((i+1)); done; "
        .replace("COUNT", &count.to_string());
    // A wrapped line on the alternate screen too (a joined capture of it would move the
    // line between history and screen).
    let altwrap = if matches!(resize, Resize::None) {
        "printf '\\n%0100d\\nend' 1; "
    } else {
        ""
    };
    let script = format!(
        "stty -echo; read go; stty echo; {lines}{up}printf '\\033[?1049h\\033[1;32malt\\033[0m'; {altwrap}\
         read x; printf '\\033[?1049l'; printf 'after %s\\n' 1 2 3; exec sleep 100000"
    );
    let server = TmuxServer::start_with("bytes-alt", 80, rows, &[&script]).unwrap();
    let version = server.version();
    server
        .tmux_ok(&["set-option", "-g", "automatic-rename", "off"])
        .unwrap();
    server
        .wait_for(Duration::from_secs(10), |s| {
            (format(s, "#{pane_height}")? == rows.to_string()).then_some(())
        })
        .unwrap();
    server.tmux_ok(&["send-keys", "-t", "%0", "Enter"]).unwrap();
    server
        .wait_for(Duration::from_secs(10), |s| {
            (format(s, "#{alternate_on}")? == "1").then_some(())
        })
        .unwrap();
    let resize_now = |live: Option<&mut Live>| match resize {
        Resize::None => {}
        Resize::Shrink => {
            server
                .tmux_ok(&[
                    "split-window",
                    "-v",
                    "-l",
                    "20",
                    "-t",
                    "%0",
                    "exec sleep 100000",
                ])
                .unwrap();
        }
        Resize::Grow => match live {
            Some(live) => {
                live.client.set_client_size(80, 40).unwrap();
            }
            None => {
                server.resize_main_window(80, 40).unwrap();
            }
        },
    };
    let size = match (resize, attach_first) {
        (Resize::Grow, true) => (80, 23),
        _ => (80, 40),
    };
    if !attach_first {
        resize_now(None);
    }
    let mut live = Live::attach(
        &server,
        ClientConfig::default()
            .with_size(size.0, size.1)
            .with_output_mode(OutputMode::Bytes),
    );
    live.ready();
    // Grid mode beside it, an observer that changes no size: its own emulator must equal
    // tmux too, history included. (Not read-only: from 3.7 tmux refuses the test's
    // `send-keys` when the client it picks for it is.)
    let mut grid = Live::attach_args(
        &server,
        ClientConfig::default(),
        &["-C", "attach", "-f", "ignore-size", "-t", "main"],
    );
    grid.ready();
    if attach_first {
        let before = live.host.resets.len();
        resize_now(Some(&mut live));
        let want: u16 = match resize {
            Resize::Shrink => 19,
            _ => 40,
        };
        // The pane is read again at its new size: the host gets a new rebuild.
        if !live.pump_until(Duration::from_secs(10), |_, h| {
            h.resets[before..]
                .iter()
                .any(|r| r.0 == PaneId(0) && r.2 == want)
        }) {
            failures.push(format!(
                "{version} ({label}): no rebuild at {want} rows after the resize"
            ));
        }
    }
    // On the alternate screen, the screen only: tmux's history changes when the alternate
    // screen goes off (lines pushed into it by a shrink, pulled out of it by a growth), a
    // host's cannot; the bytes give the history tmux will have after leaving it.
    if let Err(e) = compare(
        &server,
        &host_bytes(&live),
        false,
        "on the alternate screen",
    ) {
        failures.push(format!("{version} ({label}): {e}"));
    }
    if let Err(e) = compare_grid(&mut grid, &server, "grid mode on the alternate screen") {
        failures.push(format!("{version} ({label}): {e}"));
    }
    server.tmux_ok(&["send-keys", "-t", "%0", "Enter"]).unwrap();
    server
        .wait_for(Duration::from_secs(10), |s| {
            let c = s.tmux_ok(&["capture-pane", "-p", "-t", "%0"]).ok()?;
            String::from_utf8_lossy(&c)
                .contains("after 3")
                .then_some(())
        })
        .unwrap();
    live.pump_until(Duration::from_secs(10), |_, h| {
        h.pane_bytes
            .get(&PaneId(0))
            .is_some_and(|b| b.windows(7).any(|w| w == b"after 3"))
    });
    if let Err(e) = compare(&server, &host_bytes(&live), true, "after leaving it") {
        failures.push(format!("{version} ({label}): {e}"));
    }
    if let Err(e) = compare_grid(&mut grid, &server, "grid mode after leaving it") {
        failures.push(format!("{version} ({label}): {e}"));
    }
    failures
}

/// Grid mode's pane %0 against the live pane: every line with its styles (history
/// included), size, cursor, alternate screen, history size.
fn compare_grid(grid: &mut Live, server: &TmuxServer, label: &str) -> Result<(), String> {
    let live = observe(server, "%0", true).ok_or("live pane unreadable")?;
    let ours = |c: &muxlink_runtime::Client| -> Option<(String, String)> {
        let p = c.state().pane(PaneId(0))?;
        let t = p.terminal()?;
        let cur = t.cursor();
        Some((
            muxlink_term::capture::ansi(t, true),
            format!(
                "{}x{} {},{} {} {}",
                t.cols(),
                t.rows(),
                cur.x,
                cur.y,
                u8::from(t.is_alternate_screen()),
                t.history_len()
            ),
        ))
    };
    let live = (defaults_after_reset_dropped(&live.0), live.1);
    let ours =
        |c: &muxlink_runtime::Client| ours(c).map(|o| (defaults_after_reset_dropped(&o.0), o.1));
    // Returns as soon as equal: the long bound is for a loaded machine.
    grid.pump_until(Duration::from_secs(5), |c, _| {
        ours(c).is_some_and(|o| o == live)
    });
    let got = ours(&grid.client).ok_or("no grid for %0")?;
    if got == live {
        Ok(())
    } else {
        Err(format!(
            "{label}: grid {:?} != live {:?}\ngrid: {:?}\nlive: {:?}",
            got.1, live.1, got.0, live.0
        ))
    }
}

#[test]
fn bytes_mode_leaves_the_alternate_screen_as_tmux_after_a_resize() {
    if !have_tmux() {
        return;
    }
    let mut failures = Vec::new();
    for (resize, attach_first, cursor_up) in [
        (Resize::None, false, false),
        (Resize::Shrink, false, false),
        (Resize::Shrink, false, true),
        (Resize::Shrink, true, true),
        (Resize::Grow, false, false),
        (Resize::Grow, true, false),
    ] {
        failures.extend(case(resize, attach_first, cursor_up));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `capture-pane -e` text with the default colours written after a reset left out, as
/// tmux 3.4 and later write it (grid.c, `grid_string_cells_add_code`); muxlink's
/// `capture::ansi` writes them as 3.3a does. The cells are what is compared.
fn defaults_after_reset_dropped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let sgr = |s: &str| -> Option<usize> {
        let body = s.strip_prefix("\x1b[")?;
        let end = body.find(|c: char| !(c.is_ascii_digit() || c == ';' || c == ':'))?;
        (body.as_bytes()[end] == b'm').then_some(end + 3)
    };
    while let Some(at) = rest.find('\x1b') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(len) = sgr(rest) else {
            out.push('\x1b');
            rest = &rest[1..];
            continue;
        };
        let seq = &rest[..len];
        out.push_str(seq);
        rest = &rest[len..];
        if seq.starts_with("\x1b[0;") || seq == "\x1b[0m" {
            while let Some(len) = sgr(rest) {
                let next = &rest[..len];
                if next != "\x1b[39m" && next != "\x1b[49m" {
                    out.push_str(next);
                }
                rest = &rest[len..];
            }
        }
    }
    out.push_str(rest);
    out
}
