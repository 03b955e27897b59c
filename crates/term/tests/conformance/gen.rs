//! The seeded generator of escape-sequence mixes.
//!
//! Deterministic: a case is a function of (seed, cols, rows) only (splitmix64, no outside
//! randomness), so a failing case is reproduced by its name. Every segment ends in the
//! parser's ground state (the oracle needs that to know tmux has consumed it) and never
//! contains `CSI 5 n` (the oracle's own sync query) or any other query.

use super::case::{Case, Step};

/// splitmix64: small, fast and good enough to pick test inputs.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn range(&mut self, lo: u64, hi_inclusive: u64) -> u64 {
        lo + self.below(hi_inclusive - lo + 1)
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

/// The sizes every seed is rendered at.
pub const SIZES: [(u16, u16); 6] = [(1, 1), (2, 2), (5, 3), (10, 4), (80, 24), (132, 50)];

/// History limits the generator picks from.
const LIMITS: [u32; 5] = [0, 3, 10, 100, 2000];

const WIDE: [&str; 8] = ["中", "字", "한", "ｱ", "😀", "👍", "あ", "🎉"];
const NARROW: [&str; 10] = ["é", "ü", "ß", "λ", "Ж", "─", "│", "€", "ñ", "☃"];
const COMBINING: [&str; 4] = ["\u{301}", "\u{308}", "\u{323}", "\u{20dd}"];
const ACS: &[u8] = b"`afgjklmnopqrstuvwxyz{|}~_";

struct Gen<'a> {
    r: &'a mut Rng,
    cols: u16,
    rows: u16,
    out: Vec<u8>,
}

impl Gen<'_> {
    fn push(&mut self, s: &str) {
        self.out.extend_from_slice(s.as_bytes());
    }

    /// A parameter as programs write them: missing, 0, 1, small, near the edge, huge.
    fn param(&mut self, span: u16) -> String {
        match self.r.below(10) {
            0 => String::new(),
            1 => "0".into(),
            2 => "1".into(),
            3 => "999".into(),
            4 => (span as u64).to_string(),
            5 => (span as u64 + 1).to_string(),
            _ => self.r.range(1, span.max(2) as u64).to_string(),
        }
    }

    fn row(&mut self) -> String {
        self.param(self.rows)
    }
    fn col(&mut self) -> String {
        self.param(self.cols)
    }

    fn ascii(&mut self, n: u64) {
        for _ in 0..n {
            let c = if self.r.chance(8) {
                b' '
            } else {
                self.r.range(0x21, 0x7e) as u8
            };
            self.out.push(c);
        }
    }

    fn text(&mut self) {
        let n = self.r.range(1, (self.cols as u64 * 2).max(3));
        self.ascii(n);
    }

    /// A code point from ranges where widths are subtle: combining marks, Hangul jamo,
    /// format characters, variation selectors, fullwidth forms, emoji, private use, C1
    /// controls and unassigned code points (tmux takes every width from glibc's wcwidth).
    fn any_width(&mut self) {
        const RANGES: [(u32, u32); 14] = [
            (0x80, 0x9f),
            (0xa0, 0x500),
            (0x591, 0x6ff),
            (0xe00, 0xe7f),
            (0x1100, 0x11ff),
            (0x1ab0, 0x1aff),
            (0x2000, 0x206f),
            (0x2e80, 0x3100),
            (0xa960, 0xa97f),
            (0xd7b0, 0xd7ff),
            (0xe000, 0xe010),
            (0xfe00, 0xfe2f),
            (0xff00, 0xffef),
            (0x1f000, 0x1faff),
        ];
        let (lo, hi) = *self.r.pick(&RANGES);
        let cp = self.r.range(lo as u64, hi as u64) as u32;
        if let Some(c) = char::from_u32(cp) {
            let mut buf = [0u8; 4];
            self.push(c.encode_utf8(&mut buf));
        }
    }

    fn unicode(&mut self) {
        for _ in 0..self.r.range(1, 6) {
            if self.r.chance(15) {
                self.ascii(1);
                self.any_width();
                continue;
            }
            match self.r.below(10) {
                0..=3 => {
                    let w = *self.r.pick(&WIDE);
                    self.push(w);
                }
                4..=6 => {
                    let w = *self.r.pick(&NARROW);
                    self.push(w);
                }
                7 | 8 => {
                    // A base and a combining mark (sometimes two).
                    self.ascii(1);
                    let m = *self.r.pick(&COMBINING);
                    self.push(m);
                    if self.r.chance(20) {
                        let m = *self.r.pick(&COMBINING);
                        self.push(m);
                    }
                }
                _ => {
                    // A mark with nothing before it on the line, or after a wide char.
                    if self.r.chance(50) {
                        self.push("\r");
                    } else {
                        let w = *self.r.pick(&WIDE);
                        self.push(w);
                    }
                    let m = *self.r.pick(&COMBINING);
                    self.push(m);
                }
            }
        }
    }

    /// Prints right up to the last column and then does something at the wrap edge.
    fn edge(&mut self) {
        let row = self.r.range(1, self.rows as u64);
        let k = self.r.range(1, 3.min(self.cols as u64));
        let col = self.cols as u64 + 1 - k;
        self.push(&format!("\x1b[{row};{col}H"));
        self.ascii(k);
        match self.r.below(9) {
            0 => self.push("\r"),
            1 => self.push("\n"),
            2 => self.push("\x08"),
            3 => self.ascii(1),
            4 => {
                let w = *self.r.pick(&WIDE);
                self.push(w);
            }
            5 => self.push("\x1b[K"),
            6 => self.push("\x1b[?7l"),
            7 => {
                let m = *self.r.pick(&COMBINING);
                self.push(m);
            }
            _ => self.push("\x1b[1C"),
        }
    }

    fn sgr(&mut self) {
        let mut parts: Vec<String> = Vec::new();
        for _ in 0..self.r.range(1, 4) {
            let p = match self.r.below(24) {
                0 => "0".to_string(),
                1 => String::new(),
                2 => self
                    .r
                    .pick(&["1", "2", "3", "5", "7", "8", "9", "53"])
                    .to_string(),
                3 => self
                    .r
                    .pick(&["22", "23", "24", "25", "27", "28", "29", "55"])
                    .to_string(),
                4 => "4".into(),
                5 => format!("4:{}", self.r.below(6)),
                6 | 7 => format!("{}", self.r.range(30, 37)),
                8 | 9 => format!("{}", self.r.range(40, 47)),
                10 => format!("{}", self.r.range(90, 97)),
                11 => format!("{}", self.r.range(100, 107)),
                12 => self.r.pick(&["39", "49", "59"]).to_string(),
                13 => format!("38;5;{}", self.r.below(256)),
                14 => format!("48;5;{}", self.r.below(256)),
                15 => format!(
                    "38;2;{};{};{}",
                    self.r.below(256),
                    self.r.below(256),
                    self.r.below(256)
                ),
                16 => format!(
                    "48;2;{};{};{}",
                    self.r.below(256),
                    self.r.below(256),
                    self.r.below(256)
                ),
                17 => format!(
                    "{}:2::{}:{}:{}",
                    self.r.pick(&[38, 48, 58]),
                    self.r.below(256),
                    self.r.below(256),
                    self.r.below(256)
                ),
                18 => format!("{}:5:{}", self.r.pick(&[38, 48, 58]), self.r.below(256)),
                19 => format!("58;5;{}", self.r.below(256)),
                20 => format!(
                    "58;2;{};{};{}",
                    self.r.below(256),
                    self.r.below(256),
                    self.r.below(256)
                ),
                21 => "21".into(),
                22 => format!("{}", self.r.range(30, 37)),
                _ => format!("{}", self.r.range(40, 47)),
            };
            parts.push(p);
        }
        self.push(&format!("\x1b[{}m", parts.join(";")));
    }

    fn motion(&mut self) {
        let s = match self.r.below(16) {
            0 => format!("\x1b[{}A", self.row()),
            1 => format!("\x1b[{}B", self.row()),
            2 => format!("\x1b[{}C", self.col()),
            3 => format!("\x1b[{}D", self.col()),
            4 => format!("\x1b[{}E", self.row()),
            5 => format!("\x1b[{}F", self.row()),
            6 => format!("\x1b[{}G", self.col()),
            7 | 8 => format!("\x1b[{};{}H", self.row(), self.col()),
            9 => format!("\x1b[{};{}f", self.row(), self.col()),
            10 => format!("\x1b[{}d", self.row()),
            11 => format!("\x1b[{}`", self.col()),
            12 => format!("\x1b[{}a", self.col()),
            13 => format!("\x1b[{}e", self.row()),
            14 => {
                // REP repeats the last printed character.
                let c = self.r.range(0x21, 0x7e) as u8 as char;
                format!("{c}\x1b[{}b", self.col())
            }
            _ => "\x1b[H".into(),
        };
        self.push(&s);
    }

    fn control(&mut self) {
        let c = *self.r.pick(&[
            "\r", "\n", "\x08", "\t", "\x0b", "\x0c", "\r\n", "\x07", "\x00", "\x08\x08",
        ]);
        self.push(c);
    }

    fn erase(&mut self) {
        if self.r.chance(60) {
            // Erasing with a coloured background shows which colour tmux fills with.
            let bg = *self
                .r
                .pick(&["41", "42", "44", "48;5;200", "48;2;10;120;200", "7", "49"]);
            self.push(&format!("\x1b[{bg}m"));
        }
        let s = match self.r.below(11) {
            0 => format!("\x1b[{}J", self.r.pick(&["", "0", "1", "2", "3"])),
            1 => format!("\x1b[{}K", self.r.pick(&["", "0", "1", "2"])),
            2 => format!("\x1b[{}X", self.col()),
            3 => format!("\x1b[{}@", self.col()),
            4 => format!("\x1b[{}P", self.col()),
            5 => format!("\x1b[{}L", self.row()),
            6 => format!("\x1b[{}M", self.row()),
            7 => format!("\x1b[{}S", self.row()),
            8 => format!("\x1b[{}T", self.row()),
            9 => "\x1b[?J".into(),
            _ => "\x1b[?K".into(),
        };
        self.push(&s);
    }

    fn region(&mut self) {
        let s = match self.r.below(8) {
            0 => "\x1b[r".to_string(),
            1 => {
                let b = self.r.range(1, self.rows as u64);
                let t = self.r.range(1, b);
                format!("\x1b[{t};{b}r")
            }
            2 => format!("\x1b[{};{}r", self.row(), self.row()),
            3 => "\x1bD".into(),
            4 => "\x1bM".into(),
            5 => "\x1bE".into(),
            6 => format!("\x1b[?6{}", self.r.pick(&["h", "l"])),
            _ => {
                let b = self.r.range(1, self.rows as u64);
                let t = self.r.range(1, b);
                let n = self.r.range(1, 4);
                format!("\x1b[{t};{b}r\x1b[{b};1H{}", "\n".repeat(n as usize))
            }
        };
        self.push(&s);
    }

    fn mode(&mut self) {
        let m = *self.r.pick(&[
            "4", "?7", "?25", "?1", "?2004", "?1000", "?1002", "?1003", "?1006", "?1005", "?1004",
            "?6", "?7",
        ]);
        let hl = *self.r.pick(&["h", "l"]);
        self.push(&format!("\x1b[{m}{hl}"));
        if self.r.chance(20) {
            let k = *self.r.pick(&["\x1b=", "\x1b>"]);
            self.push(k);
        }
    }

    fn save_restore(&mut self) {
        let s = *self.r.pick(&["\x1b7", "\x1b8", "\x1b[s", "\x1b[u"]);
        self.push(s);
    }

    fn tabs(&mut self) {
        let s = match self.r.below(8) {
            0 => "\x1bH".to_string(),
            1 => "\x1b[g".into(),
            2 => "\x1b[3g".into(),
            3 => format!("\x1b[{}I", self.param(4)),
            4 => format!("\x1b[{}Z", self.param(4)),
            5 => "\x1b[0g".into(),
            _ => "\t".repeat(self.r.range(1, 3) as usize),
        };
        self.push(&s);
    }

    fn alternate(&mut self) {
        let m = *self.r.pick(&["?47", "?1047", "?1049"]);
        let hl = *self.r.pick(&["h", "l"]);
        self.push(&format!("\x1b[{m}{hl}"));
    }

    fn charset(&mut self) {
        let s = *self
            .r
            .pick(&["\x1b(0", "\x1b(B", "\x1b)0", "\x1b)B", "\x0e", "\x0f"]);
        self.push(s);
        for _ in 0..self.r.range(1, 6) {
            let c = *self.r.pick(ACS);
            self.out.push(c);
        }
    }

    fn title(&mut self) {
        let osc = *self.r.pick(&["0", "2"]);
        let mut t = String::new();
        for _ in 0..self.r.range(0, 12) {
            t.push(self.r.range(0x20, 0x7e) as u8 as char);
        }
        if self.r.chance(20) {
            t.push_str("中é");
        }
        let end = *self.r.pick(&["\x07", "\x1b\\"]);
        self.push(&format!("\x1b]{osc};{t}{end}"));
    }

    fn scroll_lines(&mut self) {
        let n = self.r.range(1, self.rows as u64 * 2 + 3);
        for i in 0..n {
            self.push(&format!("line{i} "));
            let k = self.r.below(self.cols as u64 + 1);
            self.ascii(k);
            self.push("\r\n");
        }
    }

    /// Long lines that wrap: what reflow on resize works on.
    fn wrapped(&mut self) {
        for _ in 0..self.r.range(1, 4) {
            let n = self.r.range(self.cols as u64, self.cols as u64 * 3);
            self.ascii(n);
            let end = if self.r.chance(70) { "\r\n" } else { "" };
            self.push(end);
        }
    }

    /// Sequences programs send that change nothing visible or that tmux ignores, several
    /// modes in one, out-of-range parameters, and broken UTF-8.
    fn odd(&mut self) {
        let s = *self.r.pick(&[
            "\x1b[>4;1m",
            "\x1b[>4m",
            "\x1b[?1049;25h",
            "\x1b[?25;7l",
            "\x1b(A",
            "\x1b%G",
            "\x1b[2;3;4r",
            "\x1b[65535C",
            "\x1b[65535;65535H",
            "\x1b[1;2;3;4;5;6;7;8;9;10;11;12;13;14;15;16;17;18;19;20;21;22;23;24;25;26;27;28;29;30;31;32;33m",
            "\x1b[99y",
            "\x1b[?99h",
            "\x1b[4 q",
            "\x1b]4;1;rgb:ff/00/00\x07",
            "\x1b]8;;http://example.com\x1b\\link\x1b]8;;\x1b\\",
            "\x1bP+q544e\x1b\\",
            "\x1b_apc\x1b\\",
            "\x1b^pm\x1b\\",
            "\x1b[?5h",
            "\x1b[?5l",
            "\x1b[3;4;5t",
            "\x1b[22;0t",
            "\x1b[23;0t",
            "\x1b[!p",
        ]);
        self.push(s);
        if self.r.chance(30) {
            // Broken UTF-8: a lone continuation byte, a truncated sequence, a bad lead byte.
            const BAD: [&[u8]; 5] = [b"\x80", b"\xe4\xb8", b"\xff", b"\xc3A", b"\xf0\x9f\x98"];
            let bad = *self.r.pick(&BAD);
            self.out.extend_from_slice(bad);
            self.ascii(1);
        }
    }

    fn op(&mut self) {
        if self.r.chance(3) {
            return self.odd();
        }
        match self.r.below(100) {
            0..=13 => self.text(),
            14..=20 => self.unicode(),
            21..=25 => self.edge(),
            26..=35 => self.sgr(),
            36..=47 => self.motion(),
            48..=54 => self.control(),
            55..=62 => self.erase(),
            63..=68 => self.region(),
            69..=72 => self.mode(),
            73..=75 => self.save_restore(),
            76..=79 => self.tabs(),
            80..=82 => self.alternate(),
            83..=85 => self.charset(),
            86 => self.push("\x1b#8"),
            87 => {
                if self.r.chance(30) {
                    self.push("\x1bc")
                } else {
                    self.text()
                }
            }
            88..=89 => self.title(),
            90..=94 => self.scroll_lines(),
            _ => self.wrapped(),
        }
    }
}

/// The case for one seed at one size.
pub fn generate(seed: u64, cols: u16, rows: u16) -> Case {
    let (case, _) = generate_ops(seed, cols, rows);
    case
}

/// One operation's bytes, or a resize: the units the minimizer removes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    Op(Vec<u8>),
    Resize(u16, u16),
}

/// Builds a case from pieces (consecutive ops become one feed).
pub fn case_from_pieces(name: String, cols: u16, rows: u16, limit: u32, pieces: &[Piece]) -> Case {
    let mut steps: Vec<Step> = Vec::new();
    for p in pieces {
        match p {
            Piece::Op(b) => match steps.last_mut() {
                Some(Step::Feed(v)) => v.extend_from_slice(b),
                _ => steps.push(Step::Feed(b.clone())),
            },
            Piece::Resize(c, r) => steps.push(Step::Resize(*c, *r)),
        }
    }
    Case {
        name,
        cols,
        rows,
        history_limit: limit,
        steps,
    }
}

/// The case and the operations it is made of, each complete (ends in ground state).
pub fn generate_ops(seed: u64, cols: u16, rows: u16) -> (Case, Vec<Piece>) {
    let mut r = Rng::new(seed.wrapping_mul(1_000_003) ^ ((cols as u64) << 32) ^ rows as u64);
    let history_limit = *r.pick(&LIMITS);
    let segments = if r.chance(30) { r.range(2, 3) } else { 1 };
    let mut pieces = Vec::new();
    let (mut c, mut rw) = (cols, rows);
    for s in 0..segments {
        if s > 0 {
            let (nc, nr) = match r.below(4) {
                0 => *r.pick(&SIZES),
                1 => (c.saturating_sub(r.range(1, 5) as u16).max(1), rw),
                2 => (c + r.range(1, 7) as u16, rw.saturating_sub(1).max(1)),
                _ => (
                    (c as u64 * r.range(5, 15) / 10).max(1) as u16,
                    (rw as u64 * r.range(5, 15) / 10).max(1) as u16,
                ),
            };
            pieces.push(Piece::Resize(nc, nr));
            c = nc;
            rw = nr;
        }
        let mut g = Gen {
            r: &mut r,
            cols: c,
            rows: rw,
            out: Vec::new(),
        };
        // Bigger panes get more operations, or they stay mostly blank.
        let area = c as u64 * rw as u64;
        let ops = g.r.range(10, 60) + g.r.below(area / 30 + 1);
        for _ in 0..ops {
            g.op();
            pieces.push(Piece::Op(std::mem::take(&mut g.out)));
        }
    }
    let name = format!("gen/s{seed}-{cols}x{rows}");
    (
        case_from_pieces(name, cols, rows, history_limit, &pieces),
        pieces,
    )
}

/// Parses a generated case's name back into (seed, cols, rows).
pub fn parse_name(name: &str) -> Option<(u64, u16, u16)> {
    let rest = name.strip_prefix("gen/s")?;
    let (seed, size) = rest.split_once('-')?;
    let (c, r) = size.split_once('x')?;
    Some((seed.parse().ok()?, c.parse().ok()?, r.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_free_of_queries() {
        for seed in 0..50 {
            for (c, r) in SIZES {
                let a = generate(seed, c, r);
                let b = generate(seed, c, r);
                assert_eq!(a.steps, b.steps);
                assert_eq!(parse_name(&a.name), Some((seed, c, r)));
                for st in &a.steps {
                    if let Step::Feed(b) = st {
                        assert!(super::super::case::ends_in_ground(b), "{}", a.name);
                    }
                }
                let bytes = a.all_bytes();
                assert!(!bytes.windows(4).any(|w| w == b"\x1b[5n"), "{}", a.name);
            }
        }
        assert_ne!(generate(1, 80, 24).steps, generate(2, 80, 24).steps);
    }
}
