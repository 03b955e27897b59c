//! The expectation files: what each tmux release showed for each case.
//!
//! One file per case, `tests/releases/expected/<case name>.txt` (the name's `/` is a
//! directory), holding the case's description (so a changed case is noticed) and a
//! section per release:
//!
//! ```text
//! # what tmux showed for this case; re-record with RELEASES_RECORD=1 (see tests/releases.rs)
//! size = 10x12
//! feed = "\e[H..."
//! == 3.2a
//! cursor = 1 11 visible
//! alternate = no
//! history = 0
//! title = ""
//! screen = "row 0 as capture-pane -p -e prints it"
//! screen = "..."
//! all = "history and screen, capture-pane -p -e -S - -E -"
//! == 3.3a
//! ...
//! ```
//!
//! Strings are quoted with escapes: `\\`, `\"`, `\e`, `\t`, `\n`, `\r`, `\xNN` for other
//! control bytes and bytes that are not UTF-8, `\u{N}` for zero-width and other invisible
//! characters; everything else is literal UTF-8.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What one release showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observation {
    /// `cursor_x`, `cursor_y`, `cursor_flag`.
    pub cursor: (u32, u32, bool),
    pub alternate: bool,
    pub history_size: u32,
    pub title: String,
    /// `capture-pane -p -e`, a line per row.
    pub screen: Vec<Vec<u8>>,
    /// `capture-pane -p -e -S - -E -`: history, then the screen.
    pub all: Vec<Vec<u8>>,
}

/// A whole expectation file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expectation {
    /// The case's `describe()` when it was recorded.
    pub description: String,
    /// Per release name (`3.2a`, ...).
    pub releases: BTreeMap<String, Observation>,
}

/// Characters written as `\u{..}` so a reader (and an editor) sees them: zero-width and
/// format characters, which would otherwise vanish into their neighbours.
fn invisible(c: char) -> bool {
    let cp = c as u32;
    (0x80..0xA0).contains(&cp)
        || cp == 0xAD
        || (0x300..0x370).contains(&cp)
        || (0x200B..0x2010).contains(&cp)
        || (0x2028..0x202F).contains(&cp)
        || (0x2060..0x2070).contains(&cp)
        || (0xFE00..0xFE10).contains(&cp)
        || cp == 0xFEFF
        || (0x1160..0x1200).contains(&cp)
        || (0xD7B0..0xD800).contains(&cp)
        || cp == 0x3164
        || (0x20D0..0x2100).contains(&cp)
        || (0xE0000..0xE1000).contains(&cp)
        || (0x1F3FB..0x1F400).contains(&cp)
        || (0xE000..0xF900).contains(&cp)
        || muxlink_term::width_tables::WidthTable::for_release(
            muxlink_term::release::TmuxRelease::NEWEST,
        )
        .width(cp)
            == 0
}

/// Bytes as a quoted string.
pub fn escape(b: &[u8]) -> String {
    let mut s = String::from("\"");
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => s.push_str("\\\\"),
                '"' => s.push_str("\\\""),
                '\x1b' => s.push_str("\\e"),
                '\t' => s.push_str("\\t"),
                '\n' => s.push_str("\\n"),
                '\r' => s.push_str("\\r"),
                c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                    let _ = write!(s, "\\x{:02x}", c as u32);
                }
                c if invisible(c) => {
                    let _ = write!(s, "\\u{{{:x}}}", c as u32);
                }
                c => s.push(c),
            }
        }
        for &x in chunk.invalid() {
            let _ = write!(s, "\\x{x:02x}");
        }
    }
    s.push('"');
    s
}

/// The inverse of [`escape`].
pub fn unescape(s: &str) -> Result<Vec<u8>, String> {
    let inner = s
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .ok_or_else(|| format!("not a quoted string: {s}"))?;
    let mut out = Vec::new();
    let mut it = inner.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match it.next() {
            Some('\\') => out.push(b'\\'),
            Some('"') => out.push(b'"'),
            Some('e') => out.push(0x1b),
            Some('t') => out.push(b'\t'),
            Some('n') => out.push(b'\n'),
            Some('r') => out.push(b'\r'),
            Some('x') => {
                let h: String = it.by_ref().take(2).collect();
                out.push(u8::from_str_radix(&h, 16).map_err(|_| format!("bad \\x in {s}"))?);
            }
            Some('u') => {
                if it.next() != Some('{') {
                    return Err(format!("bad \\u in {s}"));
                }
                let h: String = it.by_ref().take_while(|&c| c != '}').collect();
                let c = u32::from_str_radix(&h, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| format!("bad \\u{{{h}}} in {s}"))?;
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
            other => return Err(format!("bad escape {other:?} in {s}")),
        }
    }
    Ok(out)
}

/// The committed expectations.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/releases/expected")
}

/// The file of a case.
pub fn path_of(case_name: &str) -> PathBuf {
    dir().join(format!("{case_name}.txt"))
}

const HEADER: &str = "# What each tmux release showed for this case (capture-pane -p -e, cursor, \
history). Recorded by crates/term/tests/releases.rs with RELEASES_RECORD=1; do not edit.";

impl Expectation {
    /// The file's text.
    pub fn render(&self) -> String {
        let mut s = String::new();
        s.push_str(HEADER);
        s.push('\n');
        s.push_str(&self.description);
        for (name, o) in &self.releases {
            let _ = writeln!(s, "== {name}");
            let _ = writeln!(
                s,
                "cursor = {} {} {}",
                o.cursor.0,
                o.cursor.1,
                if o.cursor.2 { "visible" } else { "hidden" }
            );
            let _ = writeln!(s, "alternate = {}", if o.alternate { "yes" } else { "no" });
            let _ = writeln!(s, "history = {}", o.history_size);
            let _ = writeln!(s, "title = {}", escape(o.title.as_bytes()));
            for l in &o.screen {
                let _ = writeln!(s, "screen = {}", escape(l));
            }
            for l in &o.all {
                let _ = writeln!(s, "all = {}", escape(l));
            }
        }
        s
    }

    /// Reads a file's text.
    pub fn parse(text: &str) -> Result<Expectation, String> {
        let mut e = Expectation::default();
        let mut cur: Option<(String, Observation)> = None;
        let finish = |e: &mut Expectation, cur: Option<(String, Observation)>| {
            if let Some((n, o)) = cur {
                e.releases.insert(n, o);
            }
        };
        for (i, line) in text.lines().enumerate() {
            let at = |m: &str| format!("line {}: {m}", i + 1);
            if line.starts_with('#') {
                continue;
            }
            if let Some(name) = line.strip_prefix("== ") {
                finish(&mut e, cur.take());
                cur = Some((
                    name.to_string(),
                    Observation {
                        cursor: (0, 0, true),
                        alternate: false,
                        history_size: 0,
                        title: String::new(),
                        screen: Vec::new(),
                        all: Vec::new(),
                    },
                ));
                continue;
            }
            let Some((_, o)) = cur.as_mut() else {
                e.description.push_str(line);
                e.description.push('\n');
                continue;
            };
            let (k, v) = line
                .split_once(" = ")
                .ok_or_else(|| at("expected KEY = VALUE"))?;
            match k {
                "cursor" => {
                    let f: Vec<&str> = v.split(' ').collect();
                    if f.len() != 3 {
                        return Err(at("cursor = X Y visible|hidden"));
                    }
                    o.cursor = (
                        f[0].parse().map_err(|_| at("cursor x"))?,
                        f[1].parse().map_err(|_| at("cursor y"))?,
                        f[2] == "visible",
                    );
                }
                "alternate" => o.alternate = v == "yes",
                "history" => o.history_size = v.parse().map_err(|_| at("history"))?,
                "title" => {
                    o.title = String::from_utf8(unescape(v).map_err(|m| at(&m))?)
                        .map_err(|_| at("title is not UTF-8"))?
                }
                "screen" => o.screen.push(unescape(v).map_err(|m| at(&m))?),
                "all" => o.all.push(unescape(v).map_err(|m| at(&m))?),
                _ => return Err(at(&format!("unknown key {k}"))),
            }
        }
        finish(&mut e, cur);
        Ok(e)
    }

    /// Reads a case's file, if there is one.
    pub fn load(case_name: &str) -> Result<Option<Expectation>, String> {
        let p = path_of(case_name);
        match std::fs::read_to_string(&p) {
            Ok(t) => Expectation::parse(&t)
                .map(Some)
                .map_err(|m| format!("{}: {m}", p.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", p.display())),
        }
    }

    /// Writes a case's file.
    pub fn store(&self, case_name: &str) -> std::io::Result<()> {
        let p = path_of(case_name);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d)?;
        }
        std::fs::write(p, self.render())
    }
}

/// Every expectation file's case name (relative path without `.txt`), sorted.
pub fn stored_case_names() -> Vec<String> {
    fn walk(root: &Path, d: &Path, out: &mut Vec<String>) {
        let Ok(rd) = std::fs::read_dir(d) else { return };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else if p.extension().is_some_and(|x| x == "txt") {
                if let Ok(rel) = p.strip_prefix(root) {
                    let s = rel.with_extension("").to_string_lossy().replace('\\', "/");
                    out.push(s);
                }
            }
        }
    }
    let mut v = Vec::new();
    walk(&dir(), &dir(), &mut v);
    v.sort();
    v
}
