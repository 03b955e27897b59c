//! Property tests: arbitrary bytes and resizes never panic, and the grid's invariants hold;
//! how the bytes are split across `feed` calls never changes the result.

use muxlink_term::{capture, Terminal};
use proptest::prelude::*;

/// Bytes biased towards escape sequences and UTF-8, so the interesting paths are hit.
fn chunk() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..40),
        proptest::collection::vec(
            prop_oneof![
                Just(b"\x1b[".to_vec()),
                Just(b"\x1b]0;t\x07".to_vec()),
                Just(b"\x1b_apc\x1b\\".to_vec()),
                Just(b"\x1bP1q\x1b\\".to_vec()),
                Just("中é\u{301}\u{200d}😀".as_bytes().to_vec()),
                Just(b"\r\n".to_vec()),
                Just(b"\x1b[?1049h".to_vec()),
                Just(b"\x1b[?1049l".to_vec()),
                Just(b"\x1b[?7l".to_vec()),
                Just(b"\x1b[4h".to_vec()),
                Just(b"\x1b(0".to_vec()),
                (
                    0u16..120,
                    0u16..120,
                    prop::sample::select(b"ABCDEFGHJKLMPSTXZ@bdgrsu`mhl".to_vec())
                )
                    .prop_map(|(a, b, f)| format!("\x1b[{a};{b}{}", f as char).into_bytes()),
                // Cursor motion with one parameter, and origin mode (rows then count from
                // the scroll region's top).
                (
                    prop_oneof![0u16..12, 0u16..1100],
                    prop::sample::select(b"ABCDEFGHdf`".to_vec())
                )
                    .prop_map(|(a, f)| format!("\x1b[{a}{}", f as char).into_bytes()),
                Just(b"\x1b[?6h".to_vec()),
                Just(b"\x1b[?6l".to_vec()),
                // Empty parameters and sub-parameters.
                (
                    prop::sample::select(vec!["", "0", "5", "2:3", ";"]),
                    prop::sample::select(b"rHm".to_vec())
                )
                    .prop_map(|(p, f)| format!("\x1b[{p};{}", f as char).into_bytes()),
                "[a-z0-9 ]{1,30}".prop_map(|s| s.into_bytes()),
            ],
            0..12
        )
        .prop_map(|v| v.concat()),
    ]
}

fn check(t: &Terminal, limit: usize, resized: bool) {
    let c = t.cursor();
    // Past the edge only as a resize leaves it (see `Cursor::x`): on the alternate screen,
    // which tmux does not reflow; in a 1-column pane after a wide character; or where
    // reflow puts the cursor after a line that ends past the edge (corpus case
    // `edge-nowrap-wide-reflow`, identical to tmux).
    assert!(
        c.x <= t.cols() || resized,
        "cursor x {} > cols {}",
        c.x,
        t.cols()
    );
    assert!(c.y < t.rows(), "cursor y {} >= rows {}", c.y, t.rows());
    for y in 0..t.rows() {
        assert_eq!(t.screen_row(y).len(), t.cols() as usize);
    }
    for i in 0..t.history_len() {
        assert_eq!(t.history_row(i).len(), t.cols() as usize);
    }
    if !resized {
        // tmux trims history to the limit at every scroll; only a resize (which pushes
        // rows into history without trimming) can exceed it.
        assert!(t.history_len() <= limit, "{} > {limit}", t.history_len());
    }
    let (top, bottom) = t.scroll_region();
    assert!(top < bottom || t.rows() == 1, "region {top}..{bottom}");
    assert!(bottom < t.rows());
    // Captures are well-formed: one line per row.
    assert_eq!(capture::plain(t).lines().count(), t.rows() as usize);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_break_invariants(
        cols in 1u16..40, rows in 1u16..12, limit in 0usize..30,
        chunks in proptest::collection::vec(chunk(), 1..20),
    ) {
        let mut t = Terminal::with_history_limit(cols, rows, limit);
        for c in &chunks {
            t.feed(c);
            check(&t, limit, false);
        }
    }

    #[test]
    fn arbitrary_bytes_and_resizes_never_break_invariants(
        steps in proptest::collection::vec((chunk(), 1u16..40, 1u16..12), 1..12),
        limit in 0usize..30,
    ) {
        let mut t = Terminal::with_history_limit(20, 5, limit);
        for (c, cols, rows) in &steps {
            t.feed(c);
            t.resize(*cols, *rows);
            check(&t, limit, true);
            prop_assert_eq!((t.cols(), t.rows()), (*cols, *rows));
        }
    }

    /// Lines of text scrolling through a full history, mixed with the sequences above: one
    /// byte at a time (no runs, no CR LF pairs: every line is cleared before it is written)
    /// must give what whole runs give (a line scrolled in is then written once, its stale
    /// cells past the new text cleared).
    #[test]
    fn text_byte_at_a_time_equals_whole_runs(
        cols in 1u16..30, rows in 1u16..8, limit in 0usize..6,
        parts in proptest::collection::vec(
            prop_oneof![
                3 => "[a-z ]{0,70}".prop_map(|s| format!("{s}\r\n").into_bytes()),
                1 => chunk(),
            ],
            1..60,
        ),
    ) {
        let all: Vec<u8> = parts.concat();
        let mut whole = Terminal::with_history_limit(cols, rows, limit);
        whole.feed(&all);
        let mut bytewise = Terminal::with_history_limit(cols, rows, limit);
        for b in &all {
            bytewise.feed(std::slice::from_ref(b));
        }
        prop_assert_eq!(capture::ansi(&whole, true), capture::ansi(&bytewise, true));
        prop_assert_eq!(cells_with_flags(&whole), cells_with_flags(&bytewise));
        prop_assert_eq!(whole.cursor(), bytewise.cursor());
    }

    #[test]
    fn splitting_the_input_changes_nothing(
        cols in 1u16..30, rows in 1u16..8,
        chunks in proptest::collection::vec(chunk(), 1..10),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let all: Vec<u8> = chunks.concat();
        let mut whole = Terminal::with_history_limit(cols, rows, 10);
        whole.feed(&all);
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(all.len() + 1)).collect();
        points.sort_unstable();
        let mut split = Terminal::with_history_limit(cols, rows, 10);
        let mut at = 0;
        for p in points {
            split.feed(&all[at..p]);
            at = p;
        }
        split.feed(&all[at..]);
        prop_assert_eq!(capture::ansi(&whole, true), capture::ansi(&split, true));
        // Flags too (CLEARED decides tmux's no-change check for later writes).
        prop_assert_eq!(cells_with_flags(&whole), cells_with_flags(&split));
        prop_assert_eq!(whole.cursor(), split.cursor());
        prop_assert_eq!(whole.title(), split.title());
        prop_assert_eq!(whole.modes(), split.modes());
    }
}

/// tmux's `%output` escaping (`control_write_output`), as the protocol crate writes it.
fn tmux_escape(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    muxlink_proto::escape_output(bytes, &mut out);
    out
}

/// The protocol crate's unescape: what the runtime would feed when it unescapes first.
fn unescape(data: &[u8]) -> Vec<u8> {
    let mut buf = Vec::new();
    muxlink_proto::unescape_output(data, &mut buf).to_vec()
}

/// Cuts `all` at `cuts` (indices into it).
fn pieces<'a>(all: &'a [u8], cuts: &[prop::sample::Index]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = cuts.iter().map(|i| i.index(all.len() + 1)).collect();
    points.sort_unstable();
    let mut out = Vec::new();
    let mut at = 0;
    for p in points {
        out.push(&all[at..p]);
        at = p;
    }
    out.push(&all[at..]);
    out
}

fn assert_same(a: &Terminal, b: &Terminal) -> Result<(), TestCaseError> {
    prop_assert_eq!(capture::ansi(a, true), capture::ansi(b, true));
    prop_assert_eq!(cells_with_flags(a), cells_with_flags(b));
    prop_assert_eq!(a.cursor(), b.cursor());
    prop_assert_eq!(a.title(), b.title());
    prop_assert_eq!(a.modes(), b.modes());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    /// Pane output cut into `%output` lines anywhere (inside sequences and characters) and
    /// escaped as tmux escapes it: `feed_escaped` of each line gives what `feed` of the
    /// whole output gives.
    #[test]
    fn feeding_tmux_escaped_lines_equals_feeding_the_bytes(
        cols in 1u16..30, rows in 1u16..8,
        chunks in proptest::collection::vec(
            prop_oneof![
                4 => chunk(),
                1 => Just(b"\\\x1b\\\x1b[1\\m\x1b[1;2\x1b\\\r\r\n\x7f\x08\t".to_vec()),
                1 => "[a-z\\\\ ]{1,20}\r\n".prop_map(|s| s.into_bytes()),
            ],
            1..12,
        ),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let all: Vec<u8> = chunks.concat();
        let mut plain = Terminal::with_history_limit(cols, rows, 10);
        plain.feed(&all);
        let mut escaped = Terminal::with_history_limit(cols, rows, 10);
        for line in pieces(&all, &cuts) {
            escaped.feed_escaped(&tmux_escape(line));
        }
        assert_same(&plain, &escaped)?;
    }

    /// Any bytes at all, malformed escapes and raw controls included: `feed_escaped` of a
    /// line is `feed` of the line unescaped.
    #[test]
    fn feeding_any_escaped_lines_equals_feeding_them_unescaped(
        cols in 1u16..30, rows in 1u16..8,
        chunks in proptest::collection::vec(
            prop_oneof![
                2 => chunk().prop_map(|c| tmux_escape(&c)),
                1 => chunk(),
                1 => proptest::collection::vec(
                    prop::sample::select(b"\\0123789[;m\x1b\r\n\xc3\xa9a".to_vec()), 0..30),
            ],
            1..12,
        ),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let all: Vec<u8> = chunks.concat();
        let mut plain = Terminal::with_history_limit(cols, rows, 10);
        let mut escaped = Terminal::with_history_limit(cols, rows, 10);
        for line in pieces(&all, &cuts) {
            plain.feed(&unescape(line));
            escaped.feed_escaped(line);
        }
        assert_same(&plain, &escaped)?;
    }
}

#[test]
fn split_inside_utf8_after_ignored_csi_matches_whole_feed() {
    // Found by the term_feed fuzz target: a CSI that ends in its ignore state, then UTF-8
    // cut between lead and continuation byte.
    let bytes = b"\x1b[?\x02\x06\x02,7\x87 \xe4c`f\xc3\xa9 \xe4\xc3";
    let mut a = Terminal::with_history_limit(10, 6, 1);
    a.feed(bytes);
    let mut b = Terminal::with_history_limit(10, 6, 1);
    b.feed(&bytes[..15]);
    b.feed(&bytes[15..]);
    assert_eq!(a.cursor(), b.cursor());
    assert_eq!(capture::ansi(&a, true), capture::ansi(&b, true));
}

#[test]
fn zero_history_limit_keeps_no_history() {
    // tmux grid_create: no GRID_HISTORY when the limit is 0.
    let mut t = Terminal::with_history_limit(5, 3, 0);
    t.feed(b"1\r\n2\r\n3\r\n4\r\n5\r\n6\r\n");
    assert_eq!(t.history_len(), 0);
    assert_eq!(capture::plain(&t), "5\n6\n\n");
}

/// Every cell of every line, flags included, in a form independent of table indices.
fn cells_with_flags(t: &Terminal) -> Vec<(String, u32, u32, u16, u8, u32)> {
    let mut out = Vec::new();
    for i in 0..t.history_len() + t.rows() as usize {
        for cell in t.line(i) {
            let mut text = String::new();
            t.push_cell_text(cell, &mut text);
            out.push((
                text,
                cell.fg.0,
                cell.bg.0,
                cell.attrs.bits(),
                (cell.flags - muxlink_term::CellFlags::EXTENDED).bits(),
                t.underline_color(cell).0,
            ));
        }
    }
    out
}

#[test]
fn split_feed_keeps_cleared_flags() {
    // Found by the term_feed fuzz target (cli-ci, requests.md item 5): the CLEARED flag
    // ended up on 3 cells when fed whole but 2 when split.
    let mut a_bytes = b"\xbf\xe4\xa4\xa3\xa2.".to_vec();
    a_bytes.extend_from_slice(&[b'\\'; 9]);
    a_bytes.extend_from_slice(&[b'i'; 37]);
    a_bytes.extend_from_slice(&[b'\\'; 9]);
    a_bytes.push(0x1b);
    a_bytes.extend_from_slice(&[b'\\'; 11]);
    a_bytes.extend_from_slice(b"K\x1b[1\\");
    let b_bytes = b"\\\\K\x1b[1J\x1bE\x1b";
    let mut whole = Terminal::with_history_limit(10, 6, 1);
    whole.feed(&a_bytes);
    whole.feed(b_bytes);
    let mut split = Terminal::with_history_limit(10, 6, 1);
    split.feed(&a_bytes[..23]);
    split.feed(&a_bytes[23..]);
    split.feed(&b_bytes[..2]);
    split.feed(&b_bytes[2..]);
    assert_eq!(whole.cursor(), split.cursor());
    assert_eq!(cells_with_flags(&whole), cells_with_flags(&split));
    // And byte by byte.
    let mut bytewise = Terminal::with_history_limit(10, 6, 1);
    for b in a_bytes.iter().chain(b_bytes.iter()) {
        bytewise.feed(std::slice::from_ref(b));
    }
    assert_eq!(cells_with_flags(&whole), cells_with_flags(&bytewise));
}

/// Text that starts a line after CR LF, or wraps onto one, over the left half of a wide
/// character blanks its right half, whether or not the line feed scrolled.
#[test]
fn text_after_crlf_or_wrap_over_half_a_wide_character() {
    let cases: [(&[u8], &str); 4] = [
        // CR LF onto a row below (no scroll), "X" over the left half of the first 中.
        ("\x1b[2;1H中中\x1b[1;1Hab\r\nX".as_bytes(), "ab\nX 中\n\n"),
        // A wrap from the top row onto it.
        (
            "\x1b[2;1H中中\x1b[1;9Habc".as_bytes(),
            "        ab\nc 中\n\n",
        ),
        // The same at the bottom, where the line feed scrolls a fresh line in.
        (
            "中中\r\n中中\r\n\x1b[3;1Hab\r\nX".as_bytes(),
            "中中\nab\nX\n",
        ),
        (
            "中中\r\n中中\r\n\x1b[3;9Habc".as_bytes(),
            "中中\n        ab\nc\n",
        ),
    ];
    for (bytes, want) in cases {
        let mut whole = Terminal::with_history_limit(10, 3, 100);
        whole.feed(bytes);
        let mut bytewise = Terminal::with_history_limit(10, 3, 100);
        for b in bytes {
            bytewise.feed(std::slice::from_ref(b));
        }
        assert_eq!(
            capture::plain(&whole),
            want,
            "{:?}",
            String::from_utf8_lossy(bytes)
        );
        assert_eq!(cells_with_flags(&whole), cells_with_flags(&bytewise));
    }
}

/// Text printed right after a cursor motion, with the sequence whole in the feed (where a
/// fast path may take both), must end as the same bytes fed one at a time (the general
/// path): every column and length, over and beside wide characters, in an extended style
/// (RGB) and plain, with and without a pending wrap, in origin mode in a region.
#[test]
fn text_after_cursor_motion_equals_bytewise() {
    for cols in [5u16, 6] {
        for col in 1..=cols + 1 {
            for text in ["x", "yz", "abc"] {
                for pen in ["", "\x1b[38;2;1;2;3m", "\x1b[4:3m"] {
                    for mode in ["", "\x1b[2;3r\x1b[?6h", "\x1b[4h", "\x1b(0"] {
                        let mut all =
                            format!("\x1b[H中中中\r\n中a中a\r\nab中\x1b[1;{cols}Hw{mode}{pen}");
                        for row in 1..=3 {
                            all += &format!("\x1b[{row};{col}H{text}\x1b[{col}G{text}");
                            all += &format!("\x1b[{row}d{text}\x1b[1C{text}\x1b[2D{text}");
                        }
                        // Eight more bytes: the last motion is whole in the feed.
                        all += "\x1b[0m\x1b[0m\x1b[0m";
                        let mut whole = Terminal::with_history_limit(cols, 3, 10);
                        whole.feed(all.as_bytes());
                        let mut bytewise = Terminal::with_history_limit(cols, 3, 10);
                        for b in all.as_bytes() {
                            bytewise.feed(std::slice::from_ref(b));
                        }
                        let what = format!("{all:?}");
                        assert_eq!(
                            capture::ansi(&whole, true),
                            capture::ansi(&bytewise, true),
                            "{what}"
                        );
                        assert_eq!(
                            cells_with_flags(&whole),
                            cells_with_flags(&bytewise),
                            "{what}"
                        );
                        assert_eq!(whole.cursor(), bytewise.cursor(), "{what}");
                    }
                }
            }
        }
    }
}
