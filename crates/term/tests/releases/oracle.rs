//! A tmux of any release as the oracle: renders a case in a pane and reads back what it holds.
//!
//! The same method as the conformance oracle (`tests/conformance/oracle.rs`), for a tmux
//! binary given by path: a private server (`-L <unique> -f /dev/null`, killed on drop, its
//! socket removed), a session per case whose pane runs a small bash script that waits for a
//! go-file, puts the tty in raw mode, clears the title, `cat`s a segment, writes a DSR and
//! waits for tmux's reply (every byte before it has then been parsed), and makes a done-file.
//! Between segments the test resizes the window or runs a command. The pane is resized
//! before the first segment: tmux 3.2a ignores `new-session -x/-y` for a session without a
//! client.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use super::cases::{Case, Step};
use super::expect::Observation;

const RUNNER: &str = r#"#!/bin/bash
# usage: runner.sh DIR NSEG
stty raw -echo
printf '\033]2;\033\\'
i=0
while (( i < $2 )); do
  while [[ ! -e "$1/go$i" ]]; do sleep 0.005; done
  cat "$1/seg$i"
  printf '\033[5n'
  while IFS= read -r -d n x; do [[ "$x" == *$'\e[0' ]] && break; done
  : > "$1/done$i"
  i=$((i+1))
done
exec sleep 600
"#;

const FORMAT: &str = "#{cursor_x} #{cursor_y} #{cursor_flag} #{alternate_on} #{history_size} \
#{pane_width} #{pane_height} #{pane_title}";

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A private tmux server of one binary.
pub struct Server {
    binary: PathBuf,
    name: String,
    socket: Option<PathBuf>,
}

impl Server {
    /// Starts a server with `options` (`set -s NAME VALUE`) set before any session.
    pub fn start(binary: &Path, options: &[(String, String)]) -> Result<Server, String> {
        let name = format!(
            "muxlink-releases-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let mut s = Server {
            binary: binary.to_path_buf(),
            name,
            socket: None,
        };
        let mut args: Vec<String> = [
            "start-server",
            ";",
            "set-option",
            "-g",
            "exit-empty",
            "off",
            ";",
            "set-option",
            "-g",
            "status",
            "off",
            ";",
            "set-option",
            "-g",
            "default-shell",
            "/bin/sh",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for (k, v) in options {
            args.extend([
                ";".into(),
                "set-option".into(),
                "-s".into(),
                k.clone(),
                v.clone(),
            ]);
        }
        s.ok(&args)?;
        let p = s.ok(&["display-message", "-p", "#{socket_path}"]);
        if let Ok(p) = p {
            let p = String::from_utf8_lossy(&p).trim().to_string();
            if !p.is_empty() {
                s.socket = Some(PathBuf::from(p));
            }
        }
        Ok(s)
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.binary);
        c.arg("-L").arg(&self.name).arg("-f").arg("/dev/null");
        c.env_remove("TMUX");
        c.env("LC_ALL", "C.UTF-8");
        c
    }

    fn run<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> std::io::Result<Output> {
        self.command().args(args).stdin(Stdio::null()).output()
    }

    /// Runs a command, failing unless it exits 0; returns stdout.
    pub fn ok<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Result<Vec<u8>, String> {
        let out = self.run(args).map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(out.stdout)
        } else {
            let shown: Vec<String> = args
                .iter()
                .map(|a| a.as_ref().to_string_lossy().into_owned())
                .collect();
            Err(format!(
                "tmux {shown:?}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }

    fn alive(&self) -> bool {
        self.run(&["list-sessions"])
            .map(|o| o.status.success())
            .unwrap_or(false)
    }

    /// Renders `case` in a fresh session and reads it back.
    pub fn render(&self, case: &Case, tmp: &Path, tag: &str) -> Result<Observation, String> {
        let dir = tmp.join(tag);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let runner = tmp.join("runner.sh");
        if !runner.exists() {
            std::fs::write(&runner, RUNNER).map_err(|e| e.to_string())?;
            let mut perm = std::fs::metadata(&runner)
                .map_err(|e| e.to_string())?
                .permissions();
            std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
            std::fs::set_permissions(&runner, perm).map_err(|e| e.to_string())?;
        }
        let r = self.render_in(case, &runner, &dir, tag);
        let _ = self.run(&["kill-session", "-t", tag]);
        let _ = std::fs::remove_dir_all(&dir);
        r.map_err(|e| {
            if self.alive() {
                e
            } else {
                format!("the tmux server died: {e}")
            }
        })
    }

    fn render_in(
        &self,
        case: &Case,
        runner: &Path,
        dir: &Path,
        tag: &str,
    ) -> Result<Observation, String> {
        // Segments: what to do before each run of bytes, then the bytes.
        let mut segments: Vec<(Vec<Step>, Vec<u8>)> = Vec::new();
        let mut pending: Vec<Step> = Vec::new();
        for st in &case.steps {
            match st {
                Step::Feed(b) => segments.push((std::mem::take(&mut pending), b.clone())),
                other => pending.push(other.clone()),
            }
        }
        let trailing = pending;
        for (i, (_, bytes)) in segments.iter().enumerate() {
            std::fs::write(dir.join(format!("seg{i}")), bytes).map_err(|e| e.to_string())?;
        }
        let (cols, rows) = (case.cols.to_string(), case.rows.to_string());
        let out = self.ok(&[
            "set-option",
            "-g",
            "history-limit",
            &case.history_limit.to_string(),
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
            &runner.to_string_lossy(),
            &dir.to_string_lossy(),
            &segments.len().to_string(),
        ])?;
        let pane = String::from_utf8_lossy(&out).trim().to_string();
        if !pane.starts_with('%') {
            return Err(format!("new-session printed {pane:?}"));
        }
        let target = format!("{tag}:");
        self.resize(&target, case.cols, case.rows)?;
        let mut size = (case.cols, case.rows);
        for (i, (before, bytes)) in segments.iter().enumerate() {
            for st in before {
                self.apply(&target, st, &mut size)?;
            }
            std::fs::write(dir.join(format!("go{i}")), b"").map_err(|e| e.to_string())?;
            let timeout = Duration::from_secs(30) + Duration::from_millis(bytes.len() as u64 / 20);
            let done = dir.join(format!("done{i}"));
            let start = Instant::now();
            while !done.exists() {
                if start.elapsed() > timeout {
                    return Err(format!("tmux did not consume segment {i} in {timeout:?}"));
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        for st in &trailing {
            self.apply(&target, st, &mut size)?;
        }
        self.read_back(&pane, size)
    }

    fn resize(&self, target: &str, c: u16, r: u16) -> Result<(), String> {
        self.ok(&[
            "resize-window",
            "-t",
            target,
            "-x",
            &c.to_string(),
            "-y",
            &r.to_string(),
        ])
        .map(|_| ())
    }

    fn apply(&self, target: &str, st: &Step, size: &mut (u16, u16)) -> Result<(), String> {
        match st {
            Step::Resize(c, r) => {
                self.resize(target, *c, *r)?;
                *size = (*c, *r);
            }
            Step::Command(words) => {
                self.ok(words)?;
            }
            Step::Feed(_) => unreachable!(),
        }
        Ok(())
    }

    fn read_back(&self, pane: &str, want: (u16, u16)) -> Result<Observation, String> {
        let out = self.ok(&[
            "display-message",
            "-p",
            "-t",
            pane,
            FORMAT,
            ";",
            "capture-pane",
            "-p",
            "-e",
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
        ])?;
        let mut lines: Vec<&[u8]> = out.split(|&c| c == b'\n').collect();
        if out.last() == Some(&b'\n') {
            lines.pop();
        }
        let head = String::from_utf8_lossy(lines.first().ok_or("no output")?).into_owned();
        let mut f = head.splitn(8, ' ');
        let mut num = |what: &str| -> Result<u32, String> {
            f.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("bad {what} in {head:?}"))
        };
        let cx = num("cursor_x")?;
        let cy = num("cursor_y")?;
        let visible = num("cursor_flag")? != 0;
        let alternate = num("alternate_on")? != 0;
        let hsize = num("history_size")?;
        let w = num("pane_width")?;
        let h = num("pane_height")?;
        let title = f.next().unwrap_or("").to_string();
        if (w, h) != (want.0 as u32, want.1 as u32) {
            return Err(format!(
                "tmux made the pane {w}x{h}, not {}x{}",
                want.0, want.1
            ));
        }
        let h = h as usize;
        let need = 1 + h + hsize as usize + h;
        if lines.len() != need {
            return Err(format!(
                "expected {need} lines from tmux (history {hsize}, rows {h}), got {}",
                lines.len()
            ));
        }
        Ok(Observation {
            cursor: (cx, cy, visible),
            alternate,
            history_size: hsize,
            title,
            screen: lines[1..1 + h].iter().map(|l| l.to_vec()).collect(),
            all: lines[1 + h..].iter().map(|l| l.to_vec()).collect(),
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self
            .command()
            .arg("kill-server")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if let Some(p) = &self.socket {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// The tmux binary of each known release found here: `RELEASES_TMUX_DIR` (default: the
/// project's shared `tmux/` folder beside the repository) holds `tmux-<release>`; the
/// system `tmux` stands for the release its `-V` names if that file is missing.
pub fn binaries() -> Vec<(muxlink_term::release::TmuxRelease, PathBuf)> {
    use muxlink_term::release::TmuxRelease;
    let dir = std::env::var_os("RELEASES_TMUX_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/tmux"));
    let system = Command::new("tmux")
        .arg("-V")
        .output()
        .ok()
        .and_then(|o| TmuxRelease::from_name(String::from_utf8_lossy(&o.stdout).trim()));
    let mut out = Vec::new();
    for r in TmuxRelease::ALL {
        let p = dir.join(format!("tmux-{}", r.name()));
        if p.exists() {
            out.push((r, p));
        } else if system == Some(r) {
            out.push((r, PathBuf::from("tmux")));
        }
    }
    out
}
