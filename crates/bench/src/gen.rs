//! Deterministic generators of the synthetic workloads (seeded; same bytes on every machine).
//!
//! The emulator workloads follow vtebench's set (dense_cells, light_cells, scrolling,
//! scrolling_in_region, cursor_motion, unicode) plus plain ASCII text; `medium_cells` and the
//! real session are recordings (see `workloads/record.sh`). The proto workloads wrap bytes in
//! control-mode `%output` lines the way tmux does (`control_write_output`: bytes < 0x20 and `\`
//! as `\ooo`, other bytes as they are).

/// Seed every generator starts from; changing it changes the committed files.
pub const SEED: u64 = 0x6d75_786c_696e_6b21; // "muxlink!"

/// Terminal size the synthetic emulator workloads are drawn for.
pub const COLS: usize = 80;
/// See [`COLS`].
pub const ROWS: usize = 24;

/// SplitMix64: small, fast, and fully specified, so the bytes never depend on a crate version.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`, decorrelated per workload by `stream`.
    pub fn new(seed: u64, stream: u64) -> Self {
        Rng(seed ^ stream.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as usize
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.next_u64() % den < num
    }

    /// A printable ASCII byte other than `\` (so `%output` needs no escape for it).
    pub fn printable(&mut self) -> u8 {
        loop {
            let b = b' ' + (self.next_u64() % 95) as u8;
            if b != b'\\' {
                return b;
            }
        }
    }

    /// A letter, digit or space, weighted like text.
    pub fn texty(&mut self) -> u8 {
        const ALPHABET: &[u8] =
            b"etaoinshrdlucmfwypvbgkjqxz     ETAOINSHRDLU0123456789.,;:-_()[]{}<>=+*/'\"!?#$%&|~@";
        ALPHABET[(self.next_u64() % ALPHABET.len() as u64) as usize]
    }
}

fn push_num(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(n.to_string().as_bytes());
}

fn sgr(out: &mut Vec<u8>, params: &str) {
    out.extend_from_slice(b"\x1b[");
    out.extend_from_slice(params.as_bytes());
    out.push(b'm');
}

fn cup(out: &mut Vec<u8>, row: usize, col: usize) {
    out.extend_from_slice(b"\x1b[");
    push_num(out, row);
    out.push(b';');
    push_num(out, col);
    out.push(b'H');
}

/// Every cell of every frame changes character, colours (256-colour and RGB) and attributes.
pub fn dense_cells(target: usize) -> Vec<u8> {
    let mut r = Rng::new(SEED, 1);
    let mut out = Vec::with_capacity(target + 4096);
    while out.len() < target {
        out.extend_from_slice(b"\x1b[H");
        for _row in 0..ROWS {
            for _col in 0..COLS {
                let fg = r.range(0, 255);
                let attr = [1, 2, 3, 4, 5, 7, 9, 22, 23, 24][r.range(0, 9)];
                if r.chance(1, 4) {
                    let (red, green, blue) = (r.range(0, 255), r.range(0, 255), r.range(0, 255));
                    sgr(
                        &mut out,
                        &format!("{attr};38;5;{fg};48;2;{red};{green};{blue}"),
                    );
                } else {
                    let bg = r.range(0, 255);
                    sgr(&mut out, &format!("{attr};38;5;{fg};48;5;{bg}"));
                }
                out.push(r.printable());
            }
        }
        sgr(&mut out, "0");
    }
    out
}

/// Frames of plain characters written over the whole screen from home; no attributes.
pub fn light_cells(target: usize) -> Vec<u8> {
    let mut r = Rng::new(SEED, 2);
    let mut out = Vec::with_capacity(target + 4096);
    while out.len() < target {
        out.extend_from_slice(b"\x1b[H");
        for _ in 0..ROWS * COLS {
            out.push(r.printable());
        }
    }
    out
}

/// Lines of text of random length scrolling the whole screen (CR LF as a tty sends them).
pub fn scrolling(target: usize) -> Vec<u8> {
    let mut r = Rng::new(SEED, 3);
    let mut out = Vec::with_capacity(target + 256);
    while out.len() < target {
        let len = r.range(1, COLS);
        for _ in 0..len {
            out.push(r.texty());
        }
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// A scroll region (DECSTBM) leaving a status line above and below; lines scroll up inside it,
/// and now and then reverse index scrolls it down from the top.
pub fn scrolling_in_region(target: usize) -> Vec<u8> {
    let mut r = Rng::new(SEED, 4);
    let mut out = Vec::with_capacity(target + 256);
    let (top, bottom) = (2, ROWS - 1);
    while out.len() < target {
        out.extend_from_slice(b"\x1b[");
        push_num(&mut out, top);
        out.push(b';');
        push_num(&mut out, bottom);
        out.push(b'r');
        cup(&mut out, bottom, 1);
        for _ in 0..200 {
            if r.chance(1, 16) {
                cup(&mut out, top, 1);
                out.extend_from_slice(b"\x1bM");
                cup(&mut out, bottom, 1);
                continue;
            }
            let len = r.range(1, COLS);
            for _ in 0..len {
                out.push(r.texty());
            }
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\x1b[r");
        cup(&mut out, 1, 1);
        out.extend_from_slice(b"status line");
        cup(&mut out, ROWS, 1);
        out.extend_from_slice(b"bottom line");
    }
    out
}

/// Absolute and relative cursor motion, each followed by a short write.
pub fn cursor_motion(target: usize) -> Vec<u8> {
    let mut r = Rng::new(SEED, 5);
    let mut out = Vec::with_capacity(target + 256);
    while out.len() < target {
        match r.range(0, 7) {
            0..=2 => cup(&mut out, r.range(1, ROWS), r.range(1, COLS)),
            3 => {
                out.extend_from_slice(b"\x1b[");
                push_num(&mut out, r.range(1, 10));
                out.push(b"ABCD"[r.range(0, 3)]);
            }
            4 => {
                out.extend_from_slice(b"\x1b[");
                push_num(&mut out, r.range(1, COLS));
                out.push(b'G');
            }
            5 => {
                out.extend_from_slice(b"\x1b[");
                push_num(&mut out, r.range(1, ROWS));
                out.push(b'd');
            }
            6 => out.extend_from_slice(b"\r\n"),
            _ => out.push(b'\x08'),
        }
        for _ in 0..r.range(1, 3) {
            out.push(r.printable());
        }
    }
    out
}

/// Text from several scripts: accented Latin, Greek, Cyrillic, box drawing, CJK and emoji
/// (wide), and combining marks; lines end in CR LF.
pub fn unicode(target: usize) -> Vec<u8> {
    const RANGES: &[(u32, u32, u64)] = &[
        (0x00C0, 0x00FF, 20),  // Latin-1 letters
        (0x0391, 0x03C9, 10),  // Greek
        (0x0410, 0x044F, 10),  // Cyrillic
        (0x2500, 0x257F, 10),  // box drawing
        (0x4E00, 0x9FA5, 25),  // CJK ideographs (wide)
        (0x3041, 0x3096, 8),   // hiragana (wide)
        (0x1F600, 0x1F64F, 7), // emoji (wide)
        (0x0300, 0x036F, 5),   // combining marks (after a base char)
        (0x0061, 0x007A, 5),   // ASCII letters
    ];
    let total: u64 = RANGES.iter().map(|r| r.2).sum();
    let mut r = Rng::new(SEED, 6);
    let mut out = Vec::with_capacity(target + 256);
    let mut buf = [0u8; 4];
    while out.len() < target {
        let mut width = 0;
        let line = r.range(10, COLS * 2);
        while width < line {
            let mut pick = r.next_u64() % total;
            let mut chosen = RANGES[0];
            for range in RANGES {
                if pick < range.2 {
                    chosen = *range;
                    break;
                }
                pick -= range.2;
            }
            if chosen.0 == 0x0300 {
                out.push(b'e');
                width += 1;
            }
            let cp = chosen.0 + (r.next_u64() % u64::from(chosen.1 - chosen.0 + 1)) as u32;
            let c = char::from_u32(cp).unwrap_or('?');
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            width += if cp >= 0x3000 { 2 } else { 1 };
        }
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Plain ASCII text as `cat` of a text file prints it: words, punctuation, lines of 0..=120
/// columns (some wrap at 80), CR LF endings.
pub fn plain_ascii(target: usize) -> Vec<u8> {
    let mut r = Rng::new(SEED, 7);
    let mut out = Vec::with_capacity(target + 256);
    while out.len() < target {
        let len = if r.chance(1, 10) { 0 } else { r.range(1, 120) };
        let mut col = 0;
        while col < len {
            let word = r.range(1, 10).min(len - col);
            for _ in 0..word {
                out.push(b'a' + (r.next_u64() % 26) as u8);
            }
            col += word;
            if col < len {
                out.push(if r.chance(1, 12) { b',' } else { b' ' });
                col += 1;
            }
        }
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Appends one `%output %PANE DATA\n` line with tmux's escaping of `data`.
pub fn push_output_line(out: &mut Vec<u8>, pane: u32, data: &[u8]) {
    out.extend_from_slice(b"%output %");
    out.extend_from_slice(pane.to_string().as_bytes());
    out.push(b' ');
    muxlink_proto::escape_output(data, out);
    out.push(b'\n');
}

/// `%output` lines with no byte to escape: printable text of 64..=1024 bytes per line (a busy
/// pane's chunk sizes) in 8 panes.
pub fn proto_plain_output(target: usize) -> Vec<u8> {
    let mut r = Rng::new(SEED, 8);
    let mut out = Vec::with_capacity(target + 2048);
    let mut line = Vec::with_capacity(1024);
    while out.len() < target {
        line.clear();
        for _ in 0..r.range(64, 1024) {
            line.push(r.printable());
        }
        push_output_line(&mut out, r.range(0, 7) as u32, &line);
    }
    out
}

/// The window the `keystrokes` workload draws into: 160x48 split into four panes (two
/// columns of two), as a `%layout-change` line (checksum included).
pub fn keystrokes_layout() -> Vec<u8> {
    let body =
        b"160x48,0,0{80x48,0,0[80x24,0,0,0,80x23,0,25,1],79x48,81,0[79x24,81,0,2,79x23,81,25,3]}";
    let sum = muxlink_proto::layout::layout_checksum(body);
    let layout = format!("{sum:04x},{}", String::from_utf8_lossy(body));
    format!("%layout-change @0 {layout} {layout} *\n").into_bytes()
}

/// Commands typed at the prompt of the `keystrokes` workload's shell pane.
const TYPED: &[&str] = &[
    "ls -la",
    "git status",
    "cargo build --release",
    "cd src && ls",
    "vim main.rs",
    "grep -rn TODO .",
    "make test",
    "ssh buildbox",
    "tail -f /var/log/syslog",
    "echo $PATH",
];

/// Output lines of those commands (each well under 64 bytes with its line end).
const OUTPUT: &[&str] = &[
    "total 48",
    "drwxr-xr-x  5 dev dev 4096 Dec  6 10:12 .",
    "-rw-r--r--  1 dev dev  812 Dec  6 10:11 Cargo.toml",
    "On branch main",
    "nothing to commit, working tree clean",
    "   Compiling muxlink v0.1.0",
    "\x1b[1;32m    Finished\x1b[0m release [optimized] target(s)",
    "src/lib.rs:42:    // TODO: bound this",
    "\x1b[01;34msrc\x1b[0m  \x1b[01;32mrun.sh\x1b[0m  README.md",
];

const SPINNER: &[&str] = &[
    "|", "/", "-", "\\", "\u{280b}", "\u{2819}", "\u{2839}", "\u{2838}",
];

const TASKS: &[&str] = &[
    "building crate",
    "resolving deps",
    "fetching index",
    "linking",
    "running tests",
];

const TESTS: &[&str] = &[
    "proto::parser::splits",
    "term::grid::reflow",
    "runtime::sync::phases",
    "cli::attach::detach",
    "bench::gen::sizes",
];

/// `keystrokes`: `%output` lines of 1 to 64 bytes across four panes, the way tmux 3.3a sends
/// a person's interactive session (checked against a recording: bash echoes each typed key
/// as a notification of its own, spinners and progress bars redraw a line with `\r`):
/// a shell echoing typed commands key by key (with the odd backspace) and printing their
/// short output, a spinner, a progress bar, and a test log. `notifications` lines in all,
/// after the layout line.
pub fn keystrokes(notifications: usize) -> Vec<u8> {
    let mut r = Rng::new(SEED, 9);
    let mut out = keystrokes_layout();
    let mut data: Vec<u8> = Vec::with_capacity(64);
    // Shell: the command being typed and how far; then its output lines; then a prompt.
    let (mut cmd, mut typed, mut lines_left) = (0usize, 0usize, 0usize);
    let mut spin = 0usize;
    let mut progress = 0usize;
    let mut test = 0usize;
    for _ in 0..notifications {
        data.clear();
        let pane = match r.range(0, 99) {
            0..=44 => 0,
            45..=69 => 1,
            70..=86 => 2,
            _ => 3,
        };
        match pane {
            0 => {
                let c = TYPED[cmd].as_bytes();
                if typed < c.len() {
                    if typed > 0 && r.chance(1, 25) {
                        // A typo taken back: the key, then backspace as bash echoes it.
                        data.extend_from_slice(b"\x08\x1b[K");
                    } else {
                        data.push(c[typed]);
                        typed += 1;
                    }
                } else if typed == c.len() {
                    // Enter: bash leaves bracketed paste and starts the command.
                    data.extend_from_slice(b"\r\n\x1b[?2004l\r");
                    typed += 1;
                    lines_left = r.range(0, 5);
                } else if lines_left > 0 {
                    data.extend_from_slice(OUTPUT[r.range(0, OUTPUT.len() - 1)].as_bytes());
                    data.extend_from_slice(b"\r\n");
                    lines_left -= 1;
                } else {
                    data.extend_from_slice(b"\x1b[?2004h$ ");
                    cmd = (cmd + 1) % TYPED.len();
                    typed = 0;
                }
            }
            1 => {
                spin += 1;
                data.push(b'\r');
                data.extend_from_slice(SPINNER[spin % SPINNER.len()].as_bytes());
                data.push(b' ');
                data.extend_from_slice(TASKS[(spin / 40) % TASKS.len()].as_bytes());
                data.extend_from_slice(format!(" {}/{}", spin % 200, 200).as_bytes());
            }
            2 => {
                progress = (progress + r.range(1, 4)) % 101;
                let filled = progress / 5;
                data.extend_from_slice(b"\r[\x1b[32m");
                data.resize(data.len() + filled, b'#');
                data.extend_from_slice(b"\x1b[0m");
                data.resize(data.len() + 20 - filled, b' ');
                data.extend_from_slice(
                    format!("] {progress:3}% {}.{}MB/s", progress / 7, progress % 10).as_bytes(),
                );
                if progress == 100 {
                    data.extend_from_slice(b"\r\n");
                }
            }
            _ => {
                test += 1;
                let ok = !test.is_multiple_of(17);
                data.extend_from_slice(b"test ");
                data.extend_from_slice(TESTS[test % TESTS.len()].as_bytes());
                data.extend_from_slice(if ok {
                    b" ... \x1b[32mok\x1b[0m\r\n".as_slice()
                } else {
                    b" ... \x1b[31mFAILED\x1b[0m\r\n".as_slice()
                });
            }
        }
        debug_assert!((1..=64).contains(&data.len()), "{}", data.len());
        push_output_line(&mut out, pane, &data);
    }
    out
}

/// Only the `%output` / `%extended-output` lines of a recorded control stream.
pub fn output_lines_only(stream: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(stream.len());
    for line in stream.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b"%output ") || line.starts_with(b"%extended-output ") {
            out.extend_from_slice(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generators_are_deterministic_and_sized() {
        for f in [
            dense_cells,
            light_cells,
            scrolling,
            cursor_motion,
            unicode,
            plain_ascii,
        ] {
            let a = f(100_000);
            assert!(a.len() >= 100_000);
            assert_eq!(a, f(100_000));
        }
    }

    #[test]
    fn plain_output_has_no_escape() {
        let s = proto_plain_output(200_000);
        for line in s.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            assert!(line.starts_with(b"%output %"));
            assert!(!line.contains(&b'\\'));
            assert!(line.iter().all(|&b| b >= b' '));
        }
    }

    #[test]
    fn escaping_matches_tmux() {
        let mut out = Vec::new();
        push_output_line(&mut out, 3, b"a\r\n\x1b[1m\\z\xc3\xa9");
        assert_eq!(out, b"%output %3 a\\015\\012\\033[1m\\134z\xc3\xa9\n");
    }

    #[test]
    fn keystrokes_are_short_outputs_in_four_panes() {
        let s = keystrokes(20_000);
        assert_eq!(s, keystrokes(20_000), "deterministic");
        let mut lines = s.split(|&b| b == b'\n').filter(|l| !l.is_empty());
        let layout = lines.next().unwrap();
        assert!(layout.starts_with(b"%layout-change @0 "));
        let l = layout.split(|&b| b == b' ').nth(2).unwrap();
        assert_eq!(
            muxlink_proto::layout::Layout::parse(l)
                .unwrap()
                .panes()
                .len(),
            4
        );
        let mut parser = muxlink_proto::Parser::new();
        let (mut n, mut panes) = (0, std::collections::BTreeSet::new());
        parser.feed(&s, |ev| {
            if let muxlink_proto::Event::Output { pane, data } = ev {
                assert!((1..=64).contains(&data.len()), "{} bytes", data.len());
                n += 1;
                panes.insert(pane.0);
            }
        });
        assert_eq!(n, 20_000);
        assert_eq!(panes.len(), 4);
    }

    #[test]
    fn unicode_is_valid_utf8() {
        assert!(std::str::from_utf8(&unicode(50_000)).is_ok());
    }
}
