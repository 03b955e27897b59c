//! `muxlink emulate`: raw pane output in, the final screen out, as tmux would capture it.
//!
//! The input is read in chunks and fed to one [`Terminal`] as it comes (escape sequences and
//! UTF-8 split across reads are the emulator's business); the output is one
//! [`muxlink_term::capture`] rendering, or a JSON document.

use std::io::{self, Read, Write};

use anyhow::Context;
use clap::Args;
use muxlink_term::release::{ReleaseProfile, ServerOptions, TmuxRelease};
use muxlink_term::{capture, Modes, Terminal};

use crate::json::Obj;

/// tmux's default `history-limit`.
const DEFAULT_HISTORY_LIMIT: usize = 2000;
/// Largest accepted width or height: tmux's own limit for a window (`WINDOW_MAXIMUM`).
const MAX_DIMENSION: u16 = 10_000;

/// Arguments of `muxlink emulate`.
#[derive(Args, Debug)]
pub struct EmulateArgs {
    /// Pane size as COLSxROWS, e.g. 80x24.
    #[arg(long, value_name = "COLSxROWS", value_parser = parse_size)]
    pub size: (u16, u16),
    /// Lines of scrollback kept (tmux's history-limit).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_HISTORY_LIMIT)]
    pub history_limit: usize,
    /// Print the history before the screen, as `capture-pane -p -S - -E -` (with --ansi:
    /// `-e -S - -E -`).
    #[arg(long)]
    pub history: bool,
    /// Print rows with SGR escapes for every cell's style, as `capture-pane -p -e`.
    #[arg(long)]
    pub ansi: bool,
    /// Print a JSON document: size, cursor, alternate screen, title, history, screen, modes.
    #[arg(long, conflicts_with_all = ["history", "ansi"])]
    pub json: bool,
    /// Render as this tmux release does, as `tmux -V` prints it (`3.2a`, `3.3a`, `3.4`,
    /// `3.5a`, `3.6a`, `3.7c`, `next-3.8`). A release muxlink does not know is rendered as
    /// the nearest known one below it, with a notice on standard error.
    #[arg(long, value_name = "VERSION", default_value = TmuxRelease::NEWEST.name())]
    pub tmux_version: String,
    /// The server option `codepoint-widths` (3.6+), items separated by commas, e.g.
    /// `U+1F600=1,U+2600-U+26FF=2`. Items the release would ignore are reported on
    /// standard error.
    #[arg(long, value_name = "ITEMS")]
    pub codepoint_widths: Option<String>,
    /// The server option `variation-selector-always-wide` (3.6+; default on).
    #[arg(long, value_name = "on|off", value_parser = parse_on_off)]
    pub variation_selector_always_wide: Option<bool>,
    /// The raw output bytes, or `-` for standard input.
    #[arg(default_value = "-")]
    pub input: String,
}

fn parse_on_off(s: &str) -> Result<bool, String> {
    match s {
        "on" | "1" => Ok(true),
        "off" | "0" => Ok(false),
        _ => Err(format!("expected on or off, got {s:?}")),
    }
}

/// The profile `args` ask for; notices for the person (approximated release, ignored
/// `codepoint-widths` items) go to `notices`.
fn profile(args: &EmulateArgs, notices: &mut Vec<String>) -> anyhow::Result<ReleaseProfile> {
    let m = TmuxRelease::from_version(&args.tmux_version)
        .with_context(|| "--tmux-version: not a tmux version".to_string())?;
    notices.extend(m.notice());
    let mut options = ServerOptions::default();
    if let Some(v) = args.variation_selector_always_wide {
        if m.release < TmuxRelease::V3_6a {
            notices.push(format!(
                "tmux {} has no variation-selector-always-wide option; ignored",
                m.release
            ));
        }
        options.variation_selector_always_wide = v;
    }
    if let Some(items) = &args.codepoint_widths {
        options.codepoint_widths = items
            .split(',')
            .filter(|i| !i.is_empty())
            .map(String::from)
            .collect();
    }
    let (profile, rejected) = m.release.profile(&options);
    for r in rejected {
        notices.push(format!("codepoint-widths: {r}"));
    }
    Ok(profile)
}

/// Parses `COLSxROWS` (both 1..=10000).
pub(crate) fn parse_size(s: &str) -> Result<(u16, u16), String> {
    let bad = || {
        format!("expected COLSxROWS such as 80x24, each between 1 and {MAX_DIMENSION}, got {s:?}")
    };
    let (c, r) = s.split_once(['x', 'X']).ok_or_else(bad)?;
    let parse = |t: &str| -> Option<u16> {
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        t.parse::<u16>()
            .ok()
            .filter(|&v| (1..=MAX_DIMENSION).contains(&v))
    };
    match (parse(c), parse(r)) {
        (Some(c), Some(r)) => Ok((c, r)),
        _ => Err(bad()),
    }
}

/// Runs `muxlink emulate`.
pub fn run(args: EmulateArgs) -> anyhow::Result<()> {
    let (cols, rows) = args.size;
    let mut notices = Vec::new();
    let profile = profile(&args, &mut notices)?;
    for n in &notices {
        // Not `eprintln!`, which panics when standard error is gone.
        let _ = writeln!(io::stderr(), "muxlink: {n}");
    }
    let mut term = Terminal::with_profile(cols, rows, args.history_limit, &profile);
    let mut input = crate::open_input(&args.input)?;
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = match input.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(anyhow::Error::new(e).context("reading input")),
        };
        term.feed(&chunk[..n]);
    }

    let text = if args.json {
        json_document(&term)
    } else if args.ansi {
        capture::ansi(&term, args.history).into_bytes()
    } else if args.history {
        capture::plain_with_history(&term).into_bytes()
    } else {
        capture::plain(&term).into_bytes()
    };
    let mut out = io::stdout().lock();
    out.write_all(&text).context("writing output")?;
    out.flush().context("writing output")
}

/// The modes a host cares about, by the names the JSON document uses.
const MODE_NAMES: &[(&str, Modes)] = &[
    ("cursor_visible", Modes::CURSOR_VISIBLE),
    ("cursor_blinking", Modes::CURSOR_BLINKING),
    ("app_cursor", Modes::APP_CURSOR),
    ("app_keypad", Modes::APP_KEYPAD),
    ("bracketed_paste", Modes::BRACKETED_PASTE),
    ("mouse_standard", Modes::MOUSE_STANDARD),
    ("mouse_button", Modes::MOUSE_BUTTON),
    ("mouse_any", Modes::MOUSE_ANY),
    ("mouse_utf8", Modes::MOUSE_UTF8),
    ("mouse_sgr", Modes::MOUSE_SGR),
    ("focus_events", Modes::FOCUS_EVENTS),
    ("origin", Modes::ORIGIN),
    ("insert", Modes::INSERT),
    ("autowrap", Modes::AUTOWRAP),
];

/// `{"cols","rows","cursor":{"x","y","visible"},"alternate","title" (null when no program
/// set one),"history",
/// "history_limit","screen":[..],"history_lines":[..],"scroll_region":{..},"modes":{..}}`
/// followed by a newline. Rows are rendered as `capture-pane -p` prints them.
fn json_document(term: &Terminal) -> Vec<u8> {
    let hist = term.history_len();
    let total = hist + usize::from(term.rows());
    let cursor = term.cursor();
    let (top, bottom) = term.scroll_region();
    let history_text = capture::lines(term, 0, hist, false);
    let screen_text = capture::lines(term, hist, total, false);

    let mut buf = Vec::with_capacity(history_text.len() + screen_text.len() + 512);
    let mut o = Obj::open(&mut buf);
    o.u64("cols", u64::from(term.cols()))
        .u64("rows", u64::from(term.rows()));
    {
        let b = o.key("cursor");
        let mut c = Obj::open(b);
        c.u64("x", u64::from(cursor.x))
            .u64("y", u64::from(cursor.y))
            .bool("visible", cursor.visible);
        c.close();
    }
    o.bool("alternate", term.is_alternate_screen());
    // A title no program set is unknown (tmux would show the host name): null.
    if term.title_set() {
        o.str("title", term.title());
    } else {
        o.null("title");
    }
    o.u64("history", hist as u64)
        .u64("history_limit", term.history_limit() as u64)
        .bytes_array("screen", text_lines(&screen_text))
        .bytes_array("history_lines", text_lines(&history_text));
    {
        let b = o.key("scroll_region");
        let mut r = Obj::open(b);
        r.u64("top", u64::from(top))
            .u64("bottom", u64::from(bottom));
        r.close();
    }
    {
        let modes = term.modes();
        let b = o.key("modes");
        let mut m = Obj::open(b);
        for &(name, flag) in MODE_NAMES {
            m.bool(name, modes.contains(flag));
        }
        m.close();
    }
    o.close();
    buf.push(b'\n');
    buf
}

/// The lines of a capture (each ends with `\n`), without their terminators.
fn text_lines(text: &str) -> impl Iterator<Item = &[u8]> {
    text.strip_suffix('\n')
        .into_iter()
        .flat_map(|body| body.as_bytes().split(|&b| b == b'\n'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_lines_split() {
        let v: Vec<&[u8]> = text_lines("").collect();
        assert!(v.is_empty());
        let v: Vec<&[u8]> = text_lines("\n").collect();
        assert_eq!(v, [b""]);
        let v: Vec<&[u8]> = text_lines("a\n\nb\n").collect();
        assert_eq!(v, [&b"a"[..], b"", b"b"]);
    }

    #[test]
    fn json_document_shape() {
        let mut t = Terminal::new(10, 3);
        t.feed(b"\x1b[?2004h\x1b[?1hab\r\ncd");
        let v: serde_json::Value = serde_json::from_slice(&json_document(&t)).unwrap();
        assert_eq!(v["cols"], 10);
        assert_eq!(v["rows"], 3);
        assert_eq!(
            v["cursor"],
            serde_json::json!({"x": 2, "y": 1, "visible": true})
        );
        assert_eq!(v["screen"], serde_json::json!(["ab", "cd", ""]));
        assert_eq!(v["history_lines"], serde_json::json!([]));
        assert_eq!(v["history_limit"], 2000);
        assert_eq!(v["modes"]["bracketed_paste"], true);
        assert_eq!(v["modes"]["app_cursor"], true);
        assert_eq!(v["modes"]["mouse_sgr"], false);
        assert_eq!(
            v["scroll_region"],
            serde_json::json!({"top": 0, "bottom": 2})
        );
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("80x24"), Ok((80, 24)));
        assert_eq!(parse_size("1X1"), Ok((1, 1)));
        assert_eq!(parse_size("10000x10000"), Ok((10000, 10000)));
        for bad in [
            "",
            "80",
            "80x",
            "x24",
            "0x24",
            "80x0",
            "-1x5",
            "+5x5",
            "8 0x24",
            "80x24x1",
            "10001x5",
            "99999999999x1",
            "axb",
        ] {
            assert!(parse_size(bad).is_err(), "{bad:?}");
        }
    }
}
