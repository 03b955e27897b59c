//! The width-sensitive cases recorded for every tmux release.
//!
//! Deterministic: the list is a function of this file only. Three kinds:
//! - `atom/NAME`: one character or sequence (emoji, ZWJ sequences, VS15/VS16, flags, skin
//!   tones, combining marks, CJK, Hangul jamo, zero-width characters, code points glibc does
//!   not know) printed in the places where releases differ: at column 0, after a narrow and
//!   after a wide character, after a cursor motion, at the last and next-to-last column with
//!   and without autowrap, after a pending wrap. Each placement has its own row and is
//!   followed by `|`, which shows where the cursor was left.
//! - named cases for tabs, REP, invalid UTF-8, the alternate screen across resizes (the
//!   issue's 40 -> 19 rows case and its variants), titles, deletions with a background
//!   colour, wide-character overwrites, and the server options (3.6+).
//! - `mix/sN`: seeded mixes of all of the above with cursor motions and erases, small panes.
//!
//! Every segment ends in the parser's ground state and holds no `CSI 5 n` (the oracle's
//! sync query).

use muxlink_term::release::TmuxRelease;

/// One thing done to the pane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Bytes the program prints.
    Feed(Vec<u8>),
    /// The window is resized (a split, a client resize).
    Resize(u16, u16),
    /// A tmux command run on the server between segments (words, no shell).
    Command(Vec<String>),
}

/// A case, rendered the same way on every release.
#[derive(Clone, Debug)]
pub struct Case {
    pub name: String,
    pub cols: u16,
    pub rows: u16,
    pub history_limit: u32,
    /// Server options set before the session is made (`set -s NAME VALUE`); the case is
    /// recorded only on releases from `since`.
    pub server_options: Vec<(String, String)>,
    pub since: TmuxRelease,
    pub steps: Vec<Step>,
}

impl Case {
    fn new(name: &str, cols: u16, rows: u16, bytes: &[u8]) -> Case {
        Case {
            name: name.to_string(),
            cols,
            rows,
            history_limit: 2000,
            server_options: Vec::new(),
            since: TmuxRelease::OLDEST,
            steps: vec![Step::Feed(bytes.to_vec())],
        }
    }

    fn then(mut self, step: Step) -> Case {
        self.steps.push(step);
        self
    }

    fn option(mut self, name: &str, value: &str, since: TmuxRelease) -> Case {
        self.server_options.push((name.into(), value.into()));
        self.since = self.since.max(since);
        self
    }

    /// Whether `release` records this case.
    pub fn applies_to(&self, release: TmuxRelease) -> bool {
        release >= self.since
    }

    /// A stable text description of everything the case does (its identity in the
    /// expectation files).
    pub fn describe(&self) -> String {
        let mut s = format!(
            "size = {}x{}\nhistory-limit = {}\n",
            self.cols, self.rows, self.history_limit
        );
        for (k, v) in &self.server_options {
            s.push_str(&format!("option = {k} {v}\n"));
        }
        if self.since != TmuxRelease::OLDEST {
            s.push_str(&format!("since = {}\n", self.since));
        }
        for st in &self.steps {
            match st {
                Step::Feed(b) => s.push_str(&format!("feed = {}\n", super::expect::escape(b))),
                Step::Resize(c, r) => s.push_str(&format!("resize = {c}x{r}\n")),
                Step::Command(w) => s.push_str(&format!("command = {}\n", w.join(" "))),
            }
        }
        s
    }
}

/// Characters and sequences whose width or combining differs somewhere.
pub const ATOMS: &[(&str, &str)] = &[
    ("emoji", "\u{1F600}"),
    ("emoji-text-default", "\u{263A}"),
    ("vs16", "\u{263A}\u{FE0F}"),
    ("vs15", "\u{263A}\u{FE0E}"),
    ("vs16-on-wide", "\u{1F600}\u{FE0F}"),
    ("vs16-on-ascii", "#\u{FE0F}"),
    ("keycap", "#\u{FE0F}\u{20E3}"),
    ("heart-vs16", "\u{2764}\u{FE0F}"),
    ("vs16-alone", "\u{FE0F}"),
    ("zwj-family", "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}"),
    ("zwj-rainbow-flag", "\u{1F3F3}\u{FE0F}\u{200D}\u{1F308}"),
    ("zwj-technologist", "\u{1F9D1}\u{200D}\u{1F4BB}"),
    ("zwj-alone", "\u{200D}"),
    ("zwj-narrow", "\u{E9}\u{200D}\u{E9}"),
    ("zwj-then-ascii", "\u{1F468}\u{200D}x"),
    ("flag", "\u{1F1EB}\u{1F1F7}"),
    ("flag-two", "\u{1F1EB}\u{1F1F7}\u{1F1E9}\u{1F1EA}"),
    ("ri-three", "\u{1F1E6}\u{1F1E7}\u{1F1E8}"),
    ("ri-one", "\u{1F1E6}"),
    ("skin", "\u{1F44D}\u{1F3FD}"),
    ("skin-alone", "\u{1F3FD}"),
    ("skin-first", "\u{1F3FD}\u{1F44D}"),
    ("skin-zwj", "\u{1F9D1}\u{1F3FB}\u{200D}\u{1F4BB}"),
    ("skin-on-unlisted", "\u{1F600}\u{1F3FD}"),
    ("skin-on-narrow", "\u{E9}\u{1F3FD}"),
    ("combining", "e\u{301}"),
    ("combining-alone", "\u{301}"),
    ("combining-three", "a\u{301}\u{323}\u{308}"),
    ("combining-many", "e\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}"),
    ("combining-flood", "e\u{301}\u{302}\u{303}\u{304}\u{305}\u{306}\u{307}\u{308}\u{309}\u{30A}\u{30B}\u{30C}\u{30D}\u{30E}\u{30F}\u{310}\u{311}\u{312}\u{313}\u{314}"),
    ("enclosing", "a\u{20DD}"),
    ("cjk", "\u{4E2D}\u{6587}"),
    ("cjk-combining", "\u{4E2D}\u{301}"),
    ("fullwidth", "\u{FF21}\u{FF22}"),
    ("jamo", "\u{1100}\u{1161}\u{11A8}"),
    ("jamo-medial", "\u{1161}"),
    ("jamo-extended", "\u{A960}\u{D7B0}\u{D7CB}"),
    ("hangul-filler", "\u{3164}"),
    ("hangul-syllable", "\u{D55C}"),
    ("zwsp", "\u{200B}"),
    ("zwnj", "\u{200C}"),
    ("word-joiner", "\u{2060}"),
    ("bom", "\u{FEFF}"),
    ("soft-hyphen", "\u{AD}"),
    ("lrm", "\u{200E}"),
    ("c1-control", "\u{85}"),
    ("unassigned", "\u{378}"),
    ("new-emoji", "\u{1FAE8}"),
    ("private-use", "\u{E000}"),
    ("forced-wide", "\u{261D}"),
    ("emoji-presentation", "\u{231A}"),
    ("two-em-dash", "\u{2E3A}"),
    ("thai", "\u{E01}\u{E33}"),
    ("devanagari", "\u{915}\u{94D}\u{937}\u{93F}"),
];

/// The rows of an atom case (a 10x12 pane): each placement on its own row, then `|`.
fn atom_case(name: &str, atom: &str) -> Case {
    let a = atom;
    let mut s = String::from("\x1b[H\x1b[2J");
    let rows = [
        format!("\x1b[1;1H{a}|"),                 // column 0
        format!("\x1b[2;1Ha{a}|"),                // after a narrow character
        format!("\x1b[3;1H\u{4E2D}{a}|"),         // after a wide character
        format!("\x1b[4;1Hab\x1b[D{a}|"),         // after moving back one
        format!("\x1b[5;1Ha\x1b[2C{a}|"),         // after moving right over blanks
        format!("\x1b[6;10H{a}|"),                // last column (wraps to row 7)
        format!("\x1b[8;9H{a}|"),                 // next to last column
        format!("\x1b[?7l\x1b[9;9H{a}|\x1b[?7h"), // next to last, no autowrap
        format!("\x1b[10;10Hx{a}|"),              // after a pending wrap (wraps to 11)
        format!("\x1b[12;1H{a}"),                 // alone: the cursor shows its width
    ];
    for r in rows {
        s.push_str(&r);
    }
    Case::new(&format!("atom/{name}"), 10, 12, s.as_bytes())
}

fn seq_lines(n: u32) -> Vec<u8> {
    let mut v = Vec::new();
    for i in 1..=n {
        v.extend_from_slice(format!("{i}\r\n").as_bytes());
    }
    v
}

fn named_cases() -> Vec<Case> {
    use TmuxRelease::*;
    let c = Case::new;
    let mut v = vec![
        // Tabs: 3.6+ keeps a tab over blanks as one cell as wide as the tab.
        c("tab/basic", 20, 3, b"a\tb\tc"),
        c("tab/over-text", 20, 3, b"0123456789abc\r\tX"),
        c("tab/near-end", 20, 3, b"\x1b[1;18H\tX"),
        c("tab/last-column", 20, 3, b"\x1b[1;20H\tX"),
        c("tab/colours", 20, 3, b"\x1b[44m\tX\x1b[0m"),
        c(
            "tab/cleared-with-colour",
            20,
            3,
            b"\x1b[44m\x1b[2K\x1b[0m\tX",
        ),
        c("tab/overwritten-inside", 20, 3, b"a\tb\r\x1b[3Cx"),
        c("tab/overwritten-by-text", 20, 3, b"\t\r12345678X"),
        c(
            "tab/wider-than-a-cell",
            60,
            3,
            b"\x1b[3g\x1b[1;41H\x1bH\r\tX",
        ),
        c("tab/cht", 20, 3, b"a\x1b[2Ib"),
        // A character that is not ASCII written over a tab's first cell (3.6+: the rest of
        // the tab becomes one-column tabs), and over its middle.
        c(
            "tab/overwritten-head-by-utf8",
            20,
            3,
            "\x1b[44m\t\x1b[0m\r\u{E9}|".as_bytes(),
        ),
        c(
            "tab/overwritten-middle-by-wide",
            20,
            3,
            "\t\x1b[4G\u{4E2D}|".as_bytes(),
        ),
        // What joins a tab cell (3.6+: lost) and a VS16 after a one-column tab.
        c(
            "tab/joined",
            10,
            3,
            "\x1b[1;8H\t\u{301}\u{200D}\u{1F44D}|\r\n\x1b[8G\t\u{FE0F}|".as_bytes(),
        ),
        c("tab/wrapped-lines", 10, 4, b"a\tb\tc\td\r\n\t\t\tx"),
        // REP: ASCII only up to 3.4, any character from 3.5.
        c("rep/ascii", 20, 3, b"ab\x1b[3b"),
        c("rep/utf8", 20, 3, "\u{E9}\x1b[3b".as_bytes()),
        c("rep/wide", 20, 3, "\u{4E2D}\x1b[3b".as_bytes()),
        c("rep/line-drawing", 20, 3, b"\x1b(0q\x1b[4b\x1b(B"),
        c("rep/combined", 20, 3, "e\u{301}\x1b[2b".as_bytes()),
        c("rep/past-margin", 10, 3, b"\x1b[1;8Hx\x1b[9b"),
        c("rep/after-sgr", 20, 3, b"x\x1b[31m\x1b[2b"),
        c(
            "rep/zwj",
            20,
            3,
            "\u{1F468}\u{200D}\u{1F469}\x1b[2b".as_bytes(),
        ),
        c(
            "rep/wide-past-margin",
            10,
            3,
            "\x1b[1;6H\u{4E2D}\x1b[5b".as_bytes(),
        ),
        // Invalid UTF-8: dropped before 3.6, U+FFFD from 3.6.
        c("utf8/mixed", 20, 3, b"a\xe4\xb8b\xad\xff\xc3\xa9c"),
        c("utf8/overlong", 20, 3, b"a\xc0\xafb"),
        c("utf8/surrogate", 20, 3, b"a\xed\xa0\x80b"),
        c("utf8/past-10ffff", 20, 3, b"a\xf4\x90\x80\x80b"),
        c(
            "utf8/last-4-byte",
            20,
            3,
            b"a\xf4\xbf\xbf\xbfb\xf4\xbf\xbf\xbf\xcc\x81|",
        ),
        c("utf8/cut-by-newline", 20, 3, b"a\xe4\xb8\r\nb"),
        c("utf8/cut-by-escape", 20, 3, b"a\xe4\x1b[31m\xb8\xadb"),
        c("utf8/lone-continuations", 20, 3, b"\x80\x80x"),
        c("utf8/never-valid", 20, 3, b"\xf5\xfe\xffx"),
        c("utf8/cut-by-ascii", 20, 3, b"\xe4b"),
        c("utf8/raw-c1", 20, 3, b"a\x85b\x9bc"),
        c("utf8/bad-continuation", 20, 3, b"a\xe4\xc3\xa9b"),
        // Titles: escaped from 3.7.
        c("title/controls", 20, 3, b"\x1b]2;a\tb#(c)\x07x"),
        c(
            "title/utf8",
            20,
            3,
            "\x1b]2;\u{4E2D}\u{1F600}\x07x".as_bytes(),
        ),
        c("title/backslash", 20, 3, b"\x1b]2;a\\b#(c)\x07x"),
        c(
            "title/delete-and-backslash",
            20,
            3,
            b"\x1b]2;a\x7fb\\c\x07x",
        ),
        // Deletions with a background colour.
        c(
            "delete/dch-colour",
            10,
            3,
            b"0123456789\r\x1b[44m\x1b[3P\x1b[0m",
        ),
        c(
            "delete/dch-colour-middle",
            10,
            3,
            b"0123456789\x1b[1;4H\x1b[44m\x1b[2P\x1b[0m",
        ),
        c(
            "delete/dch-colour-all",
            10,
            3,
            b"0123456789\x1b[1;4H\x1b[44m\x1b[20P\x1b[0m",
        ),
        c(
            "delete/dl-colour",
            10,
            5,
            b"1\r\n2\r\n3\r\n4\r\n5\x1b[44m\x1b[2;4r\x1b[2;1H\x1b[2M\x1b[0m\x1b[r",
        ),
        c(
            "delete/ech-colour",
            10,
            3,
            b"0123456789\x1b[1;4H\x1b[44m\x1b[3X\x1b[0m",
        ),
        c(
            "delete/dch-colour-end",
            10,
            3,
            b"0123456789\x1b[1;6H\x1b[44m\x1b[4P\x1b[0m",
        ),
        c(
            "delete/dl-colour-end",
            10,
            6,
            b"1\r\n2\r\n3\r\n4\r\n5\r\n6\x1b[44m\x1b[4;1H\x1b[2M\x1b[0m",
        ),
        // Overwriting wide characters.
        c(
            "wide/overwrite-right-half",
            10,
            3,
            "\u{4E2D}x\x1b[1;2Hy".as_bytes(),
        ),
        c(
            "wide/overwrite-left-half",
            10,
            3,
            "\u{4E2D}\x1b[1;1Hy".as_bytes(),
        ),
        c(
            "wide/overwrite-at-column-1",
            10,
            3,
            "\u{4E2D}\u{6587}\x1b[1;2Hab".as_bytes(),
        ),
        c(
            "wide/insert-mode",
            10,
            3,
            "\x1b[4h\u{4E2D}\x1b[1;1Hx\x1b[4l".as_bytes(),
        ),
        c(
            "wide/over-wide",
            10,
            3,
            "\u{4E2D}\u{6587}\x1b[1;2H\u{5B57}".as_bytes(),
        ),
        c("wide/one-column", 1, 3, "\u{4E2D}x\u{4E2D}".as_bytes()),
        c(
            "wide/ech-half",
            10,
            3,
            "\u{4E2D}\u{6587}\x1b[1;2H\x1b[X".as_bytes(),
        ),
        // Where a combining character goes.
        c(
            "combine/after-moving-right",
            10,
            3,
            "a\x1b[3C\u{301}|".as_bytes(),
        ),
        c(
            "combine/after-moving-into-wide",
            10,
            3,
            "\u{4E2D}\x1b[D\u{301}|".as_bytes(),
        ),
        c(
            "combine/after-cup-to-wide",
            10,
            3,
            "\u{4E2D}\u{6587}\x1b[1;4H\u{301}|".as_bytes(),
        ),
        c(
            "combine/at-column-1-after-wide",
            10,
            3,
            "\u{4E2D}\x1b[1;2H\u{301}|".as_bytes(),
        ),
        c(
            "combine/vs16-at-margin",
            10,
            3,
            "\x1b[1;10H\u{263A}\u{FE0F}|".as_bytes(),
        ),
        c(
            "combine/vs16-at-margin-no-wrap",
            10,
            3,
            "\x1b[?7l\x1b[1;10H\u{263A}\u{FE0F}|".as_bytes(),
        ),
        c(
            "combine/vs16-at-margin-then-motion",
            10,
            3,
            "\x1b[1;10H\u{263A}\u{FE0F}\x1b[2;1H|".as_bytes(),
        ),
        c(
            "combine/vs16-over-text",
            10,
            3,
            "abc\x1b[1;2Hx\u{FE0F}|".as_bytes(),
        ),
        c(
            "combine/skin-at-margin",
            10,
            3,
            "\x1b[1;9H\u{1F44D}\u{1F3FD}|".as_bytes(),
        ),
        c(
            "combine/flag-at-margin",
            10,
            3,
            "\x1b[1;10H\u{1F1EB}\u{1F1F7}|".as_bytes(),
        ),
        c(
            "combine/zwj-at-margin",
            10,
            3,
            "\x1b[1;9H\u{1F468}\u{200D}\u{1F469}|".as_bytes(),
        ),
        c(
            "combine/zwj-across-wrap",
            10,
            3,
            "\x1b[1;9H\u{1F468}\u{200D}x\u{1F469}|".as_bytes(),
        ),
        c(
            "combine/zwj-then-motion",
            10,
            3,
            "\u{1F468}\u{200D}\x1b[2C\u{1F469}|".as_bytes(),
        ),
        c(
            "combine/zwj-then-newline",
            10,
            3,
            "\u{1F468}\u{200D}\r\n\u{1F469}|".as_bytes(),
        ),
        // The issue's case: 30 lines, the alternate screen, 40 -> 19 rows, then back.
        c(
            "alt/issue-40-to-19",
            80,
            40,
            &[&seq_lines(30)[..], b"\x1b[?1049h"].concat(),
        )
        .then(Step::Resize(80, 19))
        .then(Step::Feed(b"\x1b[?1049l".to_vec())),
        c(
            "alt/issue-40-to-19-print-after",
            80,
            40,
            &[&seq_lines(30)[..], b"\x1b[?1049hALT"].concat(),
        )
        .then(Step::Resize(80, 19))
        .then(Step::Feed(b"ALT2\x1b[?1049lmain".to_vec())),
        c("alt/resize-before-entering", 80, 40, &seq_lines(30))
            .then(Step::Resize(80, 19))
            .then(Step::Feed(b"\x1b[?1049hALT\x1b[?1049l".to_vec())),
        c(
            "alt/grow-in-alternate",
            80,
            19,
            &[&seq_lines(30)[..], b"\x1b[?1049h"].concat(),
        )
        .then(Step::Resize(80, 40))
        .then(Step::Feed(b"\x1b[?1049l".to_vec())),
        c(
            "alt/shrink-and-grow-in-alternate",
            80,
            40,
            &[&seq_lines(30)[..], b"\x1b[?1049h"].concat(),
        )
        .then(Step::Resize(80, 19))
        .then(Step::Resize(80, 40))
        .then(Step::Feed(b"\x1b[?1049l".to_vec())),
        c(
            "alt/narrow-in-alternate",
            40,
            10,
            &[
                &b"0123456789012345678901234567890123456789abcdefghij\r\nshort\r\n"[..],
                b"\x1b[?1049h",
            ]
            .concat(),
        )
        .then(Step::Resize(20, 10))
        .then(Step::Feed(b"\x1b[?1049l".to_vec())),
        c(
            "alt/narrow-then-widen-in-alternate",
            40,
            10,
            &[
                &b"0123456789012345678901234567890123456789abcdefghij\r\nshort\r\n"[..],
                b"\x1b[?1049h",
            ]
            .concat(),
        )
        .then(Step::Resize(20, 10))
        .then(Step::Resize(30, 10))
        .then(Step::Feed(b"\x1b[?1049l".to_vec())),
        c(
            "alt/mode-47",
            80,
            40,
            &[&seq_lines(30)[..], b"\x1b[?47h"].concat(),
        )
        .then(Step::Resize(80, 19))
        .then(Step::Feed(b"\x1b[?47l".to_vec())),
        c(
            "alt/still-in-alternate",
            80,
            40,
            &[&seq_lines(30)[..], b"\x1b[?1049hALT"].concat(),
        )
        .then(Step::Resize(80, 19)),
    ];
    // Server options, 3.6+.
    v.push(
        c(
            "option/vs16-not-wide",
            10,
            3,
            "\u{263A}\u{FE0F}|#\u{FE0F}|".as_bytes(),
        )
        .option("variation-selector-always-wide", "off", V3_6a),
    );
    v.push(
        c(
            "option/codepoint-widths",
            20,
            3,
            "\u{1F600}|\u{4E2D}|\u{E9}|\u{301}|".as_bytes(),
        )
        .option(
            "codepoint-widths",
            "U+1F600=1,U+4E2D=1,U+E9=2,U+301=1",
            V3_6a,
        ),
    );
    v.push(
        c(
            "option/codepoint-widths-range",
            20,
            3,
            "\u{2600}\u{2601}\u{2602}|".as_bytes(),
        )
        .option("codepoint-widths", "U+2600-U+2601=2", V3_6a),
    );
    v.push(
        c(
            "option/codepoint-width-literal",
            20,
            3,
            "\u{263A}|".as_bytes(),
        )
        .option("codepoint-widths", "\u{263A}=2", V3_6a),
    );
    // Jamo of non-zero width compose by tmux's rules (3.6+): a medial after an initial joins,
    // after anything else it is dropped.
    v.push(
        c(
            "option/jamo-medial-width-1",
            20,
            3,
            "\u{1100}\u{1161}|a\u{1161}|\u{1161}|\u{1100}\u{1161}\u{11A8}|".as_bytes(),
        )
        .option("codepoint-widths", "U+1161=1,U+11A8=1", V3_6a),
    );
    // history-limit changed while the pane has history (3.7 applies it at once).
    let mut h = c("history/limit-lowered", 20, 5, &seq_lines(40));
    h.history_limit = 100;
    v.push(
        h.then(Step::Command(vec![
            "set-option".into(),
            "-g".into(),
            "history-limit".into(),
            "10".into(),
        ]))
        .then(Step::Feed(b"x\r\n".to_vec())),
    );
    v
}

/// splitmix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Seeded mixes of atoms, text and cursor motions.
pub const MIX_SEEDS: u64 = 200;
const MIX_SIZES: [(u16, u16); 4] = [(10, 4), (7, 3), (20, 5), (3, 3)];

fn mix_case(seed: u64) -> Case {
    let mut r = Rng(seed ^ 0x5eed_0f7a_b1e5);
    let (cols, rows) = MIX_SIZES[seed as usize % MIX_SIZES.len()];
    let mut s = String::new();
    let n = 8 + r.below(24);
    for _ in 0..n {
        match r.below(14) {
            0..=5 => s.push_str(ATOMS[r.below(ATOMS.len())].1),
            6 => s.push_str(["a", "bc", "xyz ", "é", "中"][r.below(5)]),
            7 => s.push_str(&format!(
                "\x1b[{};{}H",
                1 + r.below(rows as usize),
                1 + r.below(cols as usize + 1)
            )),
            8 => s.push_str(["\x1b[D", "\x1b[2D", "\x1b[C", "\x08", "\r"][r.below(5)]),
            9 => s.push_str(["\r\n", "\n", "\t"][r.below(3)]),
            10 => s.push_str(["\x1b[K", "\x1b[1K", "\x1b[P", "\x1b[@", "\x1b[X"][r.below(5)]),
            11 => s.push_str(["\x1b[31m", "\x1b[0m", "\x1b[44m", "\x1b[1m"][r.below(4)]),
            12 => s.push_str(["\x1b[?7l", "\x1b[?7h", "\x1b[4h", "\x1b[4l"][r.below(4)]),
            _ => s.push_str(&format!("\x1b[{}b", 1 + r.below(4))),
        }
    }
    Case::new(&format!("mix/s{seed}"), cols, rows, s.as_bytes())
}

/// Every case, in a stable order.
pub fn all() -> Vec<Case> {
    let mut v: Vec<Case> = ATOMS.iter().map(|(n, a)| atom_case(n, a)).collect();
    v.extend(named_cases());
    v.extend((0..MIX_SEEDS).map(mix_case));
    v
}
