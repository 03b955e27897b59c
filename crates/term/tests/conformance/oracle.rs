//! tmux as the oracle: renders a case in a real pane and reads back what tmux holds.
//!
//! How the bytes reach the pane unchanged and how we know tmux has consumed them:
//! each case gets a fresh session (`new-session -x C -y R`, created after
//! `set -g history-limit N` so the pane's grid takes that limit) whose only pane runs a small
//! bash script. The script puts the tty in raw mode (`stty raw -echo`: no `\n` -> `\r\n`),
//! sets the title to "" (tmux starts a pane titled with the host name; our emulator starts
//! with ""), then for each segment: `cat`s the segment file, writes a DSR (`CSI 5 n`) and
//! reads the tty until tmux's reply `ESC [ 0 n` arrives. tmux parses pane output strictly in
//! order, so when the reply arrives every byte before it has been parsed; only then does the
//! script create `doneN`. Between segments it blocks on `tmux wait-for`, while the test
//! resizes the window. Cases therefore must end in the parser's ground state and must not
//! contain `CSI 5 n` themselves (the generator and the recorder guarantee both).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use muxlink_testkit::{TempDir, TmuxServer};

use super::case::{Case, Step};
use super::Observation;

const RUNNER: &str = r#"#!/bin/bash
# usage: runner.sh DIR NSEG TAG GATE0
stty raw -echo
printf '\033]2;\033\\'
i=0
while (( i < $2 )); do
  if (( i > 0 || $4 )); then tmux wait-for "$3-go$i"; fi
  cat "$1/seg$i"
  printf '\033[5n'
  while IFS= read -r -d n x; do [[ "$x" == *$'\e[0' ]] && break; done
  : > "$1/done$i"
  i=$((i+1))
done
# Keep the pane (and its screen) until the test has read it; bounded so an interrupted
# run does not leave processes behind forever.
exec sleep 600
"#;

/// The tmux format read after a case; the title comes last since it may hold spaces.
const FORMAT: &str = "#{cursor_x} #{cursor_y} #{cursor_flag} #{alternate_on} #{history_size} \
#{pane_width} #{pane_height} \
ins=#{insert_flag},kcursor=#{keypad_cursor_flag},kpad=#{keypad_flag},wrap=#{wrap_flag},\
origin=#{origin_flag},m1000=#{mouse_standard_flag},m1002=#{mouse_button_flag},\
m1003=#{mouse_all_flag},m1005=#{mouse_utf8_flag},m1006=#{mouse_sgr_flag},\
region=#{scroll_region_upper}-#{scroll_region_lower} #{pane_title}";

/// Resizes to apply, then the bytes to feed.
type Segment = (Vec<(u16, u16)>, Vec<u8>);

/// One worker's tmux server, reused across cases (a session per case).
pub struct Oracle {
    server: TmuxServer,
    dir: TempDir,
    runner: PathBuf,
    counter: u64,
    timeout: std::time::Duration,
}

/// How an error starts when the tmux server itself died on the case: tmux 3.3a crashes on a
/// few inputs (e.g. a reflowing resize with history-limit 0 and the cursor below the scroll
/// region); there is no oracle for those.
pub const TMUX_CRASHED: &str = "tmux 3.3a crashed on this case";

/// Everything the oracle could not do.
pub type OracleError = String;

impl Oracle {
    /// Starts a private server for one worker.
    pub fn start(tag: &str) -> Result<Oracle, OracleError> {
        let server = TmuxServer::start(tag, 80, 24).map_err(|e| e.to_string())?;
        let dir = TempDir::new(tag).map_err(|e| e.to_string())?;
        let runner = dir.path().join("runner.sh");
        std::fs::write(&runner, RUNNER).map_err(|e| e.to_string())?;
        let mut perm = std::fs::metadata(&runner)
            .map_err(|e| e.to_string())?
            .permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
        std::fs::set_permissions(&runner, perm).map_err(|e| e.to_string())?;
        Ok(Oracle {
            server,
            dir,
            runner,
            counter: 0,
            timeout: Duration::from_secs(20),
        })
    }

    /// How long to wait for tmux to consume a segment (plus 1 s per 50 kB).
    pub fn set_timeout(&mut self, t: Duration) {
        self.timeout = t;
    }

    fn tmux(&self, args: &[&str]) -> Result<Vec<u8>, OracleError> {
        self.server.tmux_ok(args).map_err(|e| e.to_string())
    }

    /// Runs one case in tmux and reads the result back.
    pub fn run(&mut self, case: &Case) -> Result<Observation, OracleError> {
        self.counter += 1;
        let tag = format!("c{}", self.counter);
        let cdir = self.dir.path().join(&tag);
        std::fs::create_dir_all(&cdir).map_err(|e| e.to_string())?;
        let result = self.run_in(case, &tag, &cdir).map_err(|e| {
            if self.alive() {
                e
            } else {
                format!("{TMUX_CRASHED}: {e}")
            }
        });
        let _ = self.server.tmux(&["kill-session", "-t", &tag]);
        let _ = std::fs::remove_dir_all(&cdir);
        result
    }

    fn run_in(&self, case: &Case, tag: &str, cdir: &Path) -> Result<Observation, OracleError> {
        // Segments: resizes before each run of bytes, then the bytes.
        let mut segments: Vec<Segment> = Vec::new();
        let mut pending: Vec<(u16, u16)> = Vec::new();
        for st in &case.steps {
            match st {
                Step::Resize(c, r) => pending.push((*c, *r)),
                Step::Feed(b) => {
                    if pending.is_empty() {
                        if let Some(last) = segments.last_mut() {
                            last.1.extend_from_slice(b);
                            continue;
                        }
                    }
                    segments.push((std::mem::take(&mut pending), b.clone()));
                }
            }
        }
        let trailing = pending;
        if segments.is_empty() {
            segments.push((Vec::new(), Vec::new()));
        }
        for (i, (_, bytes)) in segments.iter().enumerate() {
            std::fs::write(cdir.join(format!("seg{i}")), bytes).map_err(|e| e.to_string())?;
        }
        let gate0 = if segments[0].0.is_empty() { "0" } else { "1" };
        let limit = case.history_limit.to_string();
        let (cols, rows) = (case.cols.to_string(), case.rows.to_string());
        let nseg = segments.len().to_string();
        let runner = self.runner.to_string_lossy().into_owned();
        let cdir_s = cdir.to_string_lossy().into_owned();
        let out = self.tmux(&[
            "set-option",
            "-g",
            "history-limit",
            &limit,
            ";",
            "new-session",
            "-d",
            "-P",
            "-F",
            "#{pane_id}",
            "-s",
            tag,
            "-x",
            &cols,
            "-y",
            &rows,
            &runner,
            &cdir_s,
            &nseg,
            tag,
            gate0,
        ])?;
        let pane = String::from_utf8_lossy(&out).trim().to_string();
        if !pane.starts_with('%') {
            return Err(format!("new-session printed {pane:?}"));
        }
        let target = format!("{tag}:");
        for (i, (resizes, bytes)) in segments.iter().enumerate() {
            if i > 0 || gate0 == "1" {
                for (c, r) in resizes {
                    self.resize(&target, *c, *r)?;
                }
                self.tmux(&["wait-for", "-S", &format!("{tag}-go{i}")])?;
            }
            // Generous: a loaded 2-core machine can be slow, and big recordings take a while.
            let timeout = self.timeout + Duration::from_millis(bytes.len() as u64 / 50);
            self.wait_file(&cdir.join(format!("done{i}")), timeout)
                .map_err(|_| {
                    format!("tmux did not answer after segment {i} (limit {timeout:?})")
                })?;
        }
        for (c, r) in trailing {
            self.resize(&target, c, r)?;
        }
        // The pane must be exactly the size the case says, or nothing compares.
        let want = case
            .steps
            .iter()
            .fold((case.cols, case.rows), |sz, st| match st {
                Step::Resize(c, r) => (*c, *r),
                Step::Feed(_) => sz,
            });
        self.read_back(&pane, want)
    }

    /// Whether the server still answers (tmux 3.3a itself crashes on a few inputs).
    fn alive(&self) -> bool {
        self.server
            .tmux(&["list-sessions"])
            .map(|o| o.status.success())
            .unwrap_or(false)
    }

    /// Waits for the runner's `doneN` file; gives up early if the server died.
    fn wait_file(&self, p: &Path, timeout: Duration) -> Result<(), ()> {
        let start = Instant::now();
        let mut nap = Duration::from_micros(500);
        let mut next_check = Duration::from_millis(500);
        while !p.exists() {
            let waited = start.elapsed();
            if waited > timeout {
                return Err(());
            }
            if waited > next_check {
                if !self.alive() {
                    return Err(());
                }
                next_check = waited + Duration::from_millis(500);
            }
            std::thread::sleep(nap);
            nap = (nap * 2).min(Duration::from_millis(10));
        }
        Ok(())
    }

    fn resize(&self, target: &str, c: u16, r: u16) -> Result<(), OracleError> {
        let (c, r) = (c.to_string(), r.to_string());
        self.tmux(&["resize-window", "-t", target, "-x", &c, "-y", &r])?;
        Ok(())
    }

    fn read_back(&self, pane: &str, want: (u16, u16)) -> Result<Observation, OracleError> {
        let out = self.tmux(&[
            "display-message",
            "-p",
            "-t",
            pane,
            FORMAT,
            ";",
            "capture-pane",
            "-p",
            "-t",
            pane,
            ";",
            "capture-pane",
            "-p",
            "-S",
            "-",
            "-E",
            "-",
            "-t",
            pane,
            ";",
            "capture-pane",
            "-p",
            "-e",
            "-S",
            "-",
            "-E",
            "-",
            "-t",
            pane,
            ";",
            "capture-pane",
            "-p",
            "-e",
            "-t",
            pane,
        ])?;
        let lines: Vec<&[u8]> = split_lines(&out);
        let head = String::from_utf8_lossy(lines.first().ok_or("no output")?).into_owned();
        let mut f = head.splitn(9, ' ');
        let mut num = |what: &str| -> Result<u32, OracleError> {
            f.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("bad {what} in {head:?}"))
        };
        let cx = num("cursor_x")?;
        let cy = num("cursor_y")?;
        let visible = num("cursor_flag")? != 0;
        let alternate = num("alternate_on")? != 0;
        let hsize = num("history_size")? as usize;
        let w = num("pane_width")?;
        let h = num("pane_height")? as usize;
        if (w, h) != (want.0 as u32, want.1 as usize) {
            return Err(format!(
                "tmux made the pane {w}x{h}, not {}x{}",
                want.0, want.1
            ));
        }
        let modes = f.next().unwrap_or("").to_string();
        let title = f.next().unwrap_or("").to_string();
        let need = 1 + h + 2 * (hsize + h) + h;
        if lines.len() != need {
            return Err(format!(
                "expected {need} lines back from tmux (history {hsize}, rows {h}), got {}",
                lines.len()
            ));
        }
        let text = |ls: &[&[u8]]| -> Vec<String> {
            ls.iter()
                .map(|l| String::from_utf8_lossy(l).into_owned())
                .collect()
        };
        let screen = text(&lines[1..1 + h]);
        let history = text(&lines[1 + h..1 + h + hsize + h]);
        let joined = |ls: &[&[u8]]| -> Vec<u8> {
            let mut v = Vec::new();
            for l in ls {
                v.extend_from_slice(l);
                v.push(b'\n');
            }
            v
        };
        let ansi_from = 1 + h + hsize + h;
        let ansi = joined(&lines[ansi_from..ansi_from + hsize + h]);
        let ansi_screen = joined(&lines[ansi_from + hsize + h..]);
        Ok(Observation {
            screen,
            history,
            ansi,
            ansi_screen,
            cursor: (cx, cy, visible),
            alternate,
            title,
            history_size: hsize,
            modes: Some(modes),
        })
    }
}

/// Splits on `\n`; the final `\n` ends the last line.
fn split_lines(b: &[u8]) -> Vec<&[u8]> {
    let mut v: Vec<&[u8]> = b.split(|&c| c == b'\n').collect();
    if b.last() == Some(&b'\n') {
        v.pop();
    }
    v
}
