//! The width tmux gives each code point, per release, plus the server's `codepoint-widths`.
//!
//! tmux decides a character's width once, when its UTF-8 is complete (`utf8_width` in
//! utf8.c), from its own tables first and the platform's `wcwidth()` after; the grid keeps
//! that width. The tables here were measured from the grid of every release on glibc 2.36
//! in C.UTF-8 (`scripts/gen-width-tables.py`, which also checks that each table is exactly
//! the release's rules in utf8.c applied to glibc's answers). Four tables cover the seven
//! releases: 3.2a; 3.3a; 3.4 and 3.5a; 3.6a, 3.7c and next-3.8.
//!
//! A table answers 0, 1, 2 or [`DROPPED`] (tmux discards the character: glibc calls it
//! unprintable and the release treats that as an error, or the release ignores it, as 3.6+
//! ignores U+3164 HANGUL FILLER). What a character does next to its neighbours (combining,
//! ZWJ, VS16, regional indicators, emoji modifiers, Hangul jamo) is not a width: see
//! [`crate::release::GridPolicy`]. In particular U+200D and U+FE0F are given glibc's width
//! (0) here and must be recognised before any width is looked up.
//!
//! Another platform (a newer glibc, macOS builds with utf8proc, OpenBSD's own tables) can
//! answer differently for some code points; [`probe`] is how a client asks the server.

// Written by scripts/gen-width-tables.py, which checks it is fresh (`--check`).
#[rustfmt::skip]
mod generated;
pub mod probe;

use crate::release::TmuxRelease;

/// A width meaning "tmux discards this character" (the same value as the crate's
/// `UNPRINTABLE`).
pub const DROPPED: u8 = 255;

/// One release's widths: a two-level lookup table (a byte per 256 code points naming a
/// block of 64 bytes, two bits per code point) and the same data as sorted ranges.
#[derive(Debug)]
pub struct WidthTable {
    releases: &'static [&'static str],
    pages: &'static [u8; 0x1100],
    blocks: &'static [[u8; 64]],
    ranges: &'static [(u32, u32, u8)],
    above_unicode: u8,
}

/// The last code point tmux can store: glibc's `mbtowc()` decodes the 4-byte sequences
/// F4 90 80 80 .. F4 BF BF BF (U+110000..U+13FFFF), which tmux keeps as characters (their
/// bytes as they came); `wcwidth()` calls them unprintable.
pub const LAST_DECODED: u32 = 0x13FFFF;

impl WidthTable {
    /// The table tmux `release` uses on glibc 2.36.
    pub fn for_release(release: TmuxRelease) -> &'static WidthTable {
        generated::BY_RELEASE[release.index()]
    }

    /// The width of `cp`: 0, 1, 2 or [`DROPPED`]. ASCII is 1 (tmux never asks; callers
    /// handle C0 controls themselves); U+110000..=[`LAST_DECODED`] is what the release makes
    /// of an unprintable character (dropped by 3.3a, 1 elsewhere). Two table reads, no
    /// search, no allocation.
    #[inline(always)]
    pub fn width(&self, cp: u32) -> u8 {
        if cp < 0x80 {
            return 1;
        }
        match self.pages.get((cp >> 8) as usize) {
            Some(&page) => {
                let byte = self.blocks[page as usize][((cp & 0xff) >> 2) as usize];
                match (byte >> ((cp & 3) * 2)) & 3 {
                    3 => DROPPED,
                    w => w,
                }
            }
            None => self.above_unicode,
        }
    }

    /// [`WidthTable::width`] of a code point from U+0080 to U+10FFFF, as the table stores
    /// it: 0, 1, 2, or 3 for [`DROPPED`]. For a caller that reads many characters and
    /// treats 3 as it treats any width but 0, 1 and 2.
    #[inline(always)]
    pub fn width_bits(&self, cp: u32) -> u8 {
        debug_assert!((0x80..=0x10ffff).contains(&cp));
        // (Every code point up to U+10FFFF has a page.)
        let page = self.pages[((cp >> 8) as usize).min(self.pages.len() - 1)];
        let byte = self.blocks[page as usize][((cp & 0xff) >> 2) as usize];
        (byte >> ((cp & 3) * 2)) & 3
    }

    /// The same data as `(first, last, width)` inclusive ranges, sorted and disjoint; code
    /// points not listed are width 1. For hosts that configure an emulator of their own.
    pub fn ranges(&self) -> &'static [(u32, u32, u8)] {
        self.ranges
    }

    /// The releases (as `tmux -V` prints them) that use this table.
    pub fn releases(&self) -> &'static [&'static str] {
        self.releases
    }

    /// The range-table answer, by binary search (the tables' source of truth).
    pub fn width_from_ranges(&self, cp: u32) -> u8 {
        if cp < 0x80 {
            return 1;
        }
        if cp > 0x10FFFF {
            return self.above_unicode;
        }
        match self.ranges.binary_search_by(|&(lo, hi, _)| {
            if hi < cp {
                std::cmp::Ordering::Less
            } else if lo > cp {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        }) {
            Ok(i) => self.ranges[i].2,
            Err(_) => 1,
        }
    }
}

/// Most `codepoint-widths` items taken; tmux has no limit, but a server option is text a
/// hostile configuration can make arbitrarily long.
pub const MAX_CODEPOINT_WIDTH_ITEMS: usize = 4096;

/// An item of `codepoint-widths` the release would ignore, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RejectedWidth {
    /// The release has no `codepoint-widths` option (before 3.6).
    #[error("tmux {0} has no codepoint-widths option")]
    NoOption(TmuxRelease),
    /// Not `KEY=WIDTH` with a width of 0, 1 or 2.
    #[error("codepoint-widths item {0:?}: not KEY=0, KEY=1 or KEY=2")]
    BadWidth(String),
    /// The key is neither `U+hex`, a range `U+hex-U+hex` (3.7+) nor a single character.
    #[error("codepoint-widths item {0:?}: not U+hex, U+hex-U+hex or one character")]
    BadKey(String),
    /// More than [`MAX_CODEPOINT_WIDTH_ITEMS`] items.
    #[error("more than {MAX_CODEPOINT_WIDTH_ITEMS} codepoint-widths items; the rest ignored")]
    TooMany,
}

/// The server option `codepoint-widths` (3.6+) as the release reads it: per-code-point width
/// overrides, consulted before the table. Later items win, as in tmux's width cache.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CodepointWidths {
    /// Sorted, disjoint `(first, last, width)`.
    ranges: Vec<(u32, u32, u8)>,
}

impl CodepointWidths {
    /// No overrides.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the option's items (`show-options -gv codepoint-widths` prints one a line; a
    /// value set as `a,b` holds two items) as `release` does. Returns the overrides and the
    /// items it would ignore. Costs O(items^2) at worst (items are bounded).
    pub fn parse<S: AsRef<str>>(
        release: TmuxRelease,
        items: &[S],
    ) -> (CodepointWidths, Vec<RejectedWidth>) {
        CodepointWidths::parse_onto(CodepointWidths::new(), release, items)
    }

    /// Like [`CodepointWidths::parse`], with the items set on top of `base` (the server's
    /// platform widths, see [`CodepointWidths::from_platform`]): an item wins over a platform
    /// width, as tmux's width cache is looked up before `wcwidth()`.
    pub fn parse_onto<S: AsRef<str>>(
        base: CodepointWidths,
        release: TmuxRelease,
        items: &[S],
    ) -> (CodepointWidths, Vec<RejectedWidth>) {
        let mut out = base;
        let mut rejected = Vec::new();
        if release < TmuxRelease::V3_6a {
            if !items.is_empty() {
                rejected.push(RejectedWidth::NoOption(release));
            }
            return (out, rejected);
        }
        let ranges_allowed = release >= TmuxRelease::V3_7c;
        for (n, item) in items.iter().enumerate() {
            if n == MAX_CODEPOINT_WIDTH_ITEMS {
                rejected.push(RejectedWidth::TooMany);
                break;
            }
            let item = item.as_ref();
            match parse_item(item, ranges_allowed) {
                Ok((lo, hi, w)) => out.set(lo, hi, w),
                Err(e) => rejected.push(e),
            }
        }
        (out, rejected)
    }

    /// Per-code-point widths a server's platform gives where the release's table (glibc
    /// 2.36's) says otherwise, as the width probe found them (`width_tables::probe`): `(code
    /// point, width)`, widths above 2 and code points past U+10FFFF ignored, a later entry
    /// for a code point winning. O(n) when sorted by code point (as the runtime keeps them),
    /// O(n log n) otherwise; one allocation of at most `entries.len()` ranges.
    pub fn from_platform(entries: &[(u32, u8)]) -> CodepointWidths {
        let mut sorted: Vec<(u32, u8)> = entries
            .iter()
            .copied()
            .filter(|&(cp, w)| cp <= LAST_CODE_POINT && w <= 2)
            .collect();
        if !sorted.windows(2).all(|p| p[0].0 < p[1].0) {
            // Stable: of equal code points the later entry stays later.
            sorted.sort_by_key(|e| e.0);
        }
        // Of equal code points the later entry wins.
        sorted.reverse();
        sorted.dedup_by_key(|e| e.0);
        sorted.reverse();
        let mut ranges: Vec<(u32, u32, u8)> = Vec::with_capacity(sorted.len());
        for (cp, w) in sorted {
            match ranges.last_mut() {
                Some(last) if last.2 == w && last.1 + 1 == cp => last.1 = cp,
                _ => ranges.push((cp, cp, w)),
            }
        }
        CodepointWidths { ranges }
    }

    /// Whether there are no overrides.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The override for `cp`, if any. Binary search.
    #[inline]
    pub fn get(&self, cp: u32) -> Option<u8> {
        if self.ranges.is_empty() {
            return None;
        }
        let i = self.ranges.partition_point(|&(_, hi, _)| hi < cp);
        match self.ranges.get(i) {
            Some(&(lo, _, w)) if lo <= cp => Some(w),
            _ => None,
        }
    }

    /// The overrides as sorted, disjoint `(first, last, width)` ranges.
    pub fn ranges(&self) -> &[(u32, u32, u8)] {
        &self.ranges
    }

    /// Sets `lo..=hi` to `w`, replacing what was there.
    fn set(&mut self, lo: u32, hi: u32, w: u8) {
        let mut next = Vec::with_capacity(self.ranges.len() + 2);
        let mut placed = false;
        for &(a, b, v) in &self.ranges {
            if b < lo {
                next.push((a, b, v));
                continue;
            }
            if a > hi {
                if !placed {
                    next.push((lo, hi, w));
                    placed = true;
                }
                next.push((a, b, v));
                continue;
            }
            // Overlap: keep the parts outside lo..=hi.
            if a < lo {
                next.push((a, lo - 1, v));
            }
            if !placed {
                next.push((lo, hi, w));
                placed = true;
            }
            if b > hi {
                next.push((hi + 1, b, v));
            }
        }
        if !placed {
            next.push((lo, hi, w));
        }
        // Merge neighbours of equal width, so lookups stay short.
        let mut merged: Vec<(u32, u32, u8)> = Vec::with_capacity(next.len());
        for r in next {
            match merged.last_mut() {
                Some(last) if last.2 == r.2 && last.1 + 1 == r.0 => last.1 = r.1,
                _ => merged.push(r),
            }
        }
        self.ranges = merged;
    }
}

/// The highest code point that can ever be printed; tmux takes keys up to `WCHAR_MAX`, but
/// nothing above this reaches a width lookup.
const LAST_CODE_POINT: u32 = 0x10FFFF;

/// One `KEY=WIDTH` item, as utf8.c's `utf8_add_to_width_cache` reads it.
fn parse_item(item: &str, ranges_allowed: bool) -> Result<(u32, u32, u8), RejectedWidth> {
    let bad_width = || RejectedWidth::BadWidth(item.to_string());
    let bad_key = || RejectedWidth::BadKey(item.to_string());
    let (key, width) = item.split_once('=').ok_or_else(bad_width)?;
    let w = strtonum_0_2(width).ok_or_else(bad_width)?;
    if let Some(rest) = key.strip_prefix("U+") {
        let (lo, after) = strtoull_hex(rest).ok_or_else(bad_key)?;
        let hi = if after.is_empty() {
            lo
        } else if ranges_allowed && after.starts_with('-') {
            let second = after[1..].strip_prefix("U+").ok_or_else(bad_key)?;
            let (hi, end) = strtoull_hex(second).ok_or_else(bad_key)?;
            if !end.is_empty() || hi < lo {
                return Err(bad_key());
            }
            hi
        } else {
            return Err(bad_key());
        };
        if lo > LAST_CODE_POINT {
            // Accepted by tmux, but no character can have it.
            return Ok((LAST_CODE_POINT + 1, LAST_CODE_POINT + 1, w));
        }
        return Ok((lo, hi.min(LAST_CODE_POINT), w));
    }
    // A literal: exactly one character.
    let mut chars = key.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Ok((c as u32, c as u32, w)),
        _ => Err(bad_key()),
    }
}

/// `strtonum(s, 0, 2)`: optional leading white space and sign, decimal digits, nothing after.
fn strtonum_0_2(s: &str) -> Option<u8> {
    let s = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || digits.len() > 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: u64 = digits.parse().ok()?;
    match (neg, v) {
        (_, 0) => Some(0),
        (false, 1 | 2) => Some(v as u8),
        _ => None,
    }
}

/// `strtoull(s, &end, 16)` as tmux checks it: a non-zero value no larger than `WCHAR_MAX`
/// (0x7fffffff). Returns the value and what follows the number.
fn strtoull_hex(s: &str) -> Option<(u32, &str)> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let body = match t.get(..2) {
        Some("0x") | Some("0X") if t.as_bytes().get(2).is_some_and(|b| b.is_ascii_hexdigit()) => {
            &t[2..]
        }
        _ => t,
    };
    let n = body.bytes().take_while(|b| b.is_ascii_hexdigit()).count();
    if n == 0 {
        return None;
    }
    let digits = body[..n].trim_start_matches('0');
    // More than 8 significant digits is past WCHAR_MAX (and strtoull may saturate).
    if digits.len() > 8 {
        return None;
    }
    let v = if digits.is_empty() {
        0
    } else {
        u64::from_str_radix(digits, 16).ok()?
    };
    // A minus sign negates in unsigned arithmetic: anything but -0 is then huge.
    let v = if neg { 0u64.wrapping_sub(v) } else { v };
    if v == 0 || v > 0x7fff_ffff {
        return None;
    }
    Some((v as u32, &body[n..]))
}

/// The widths a pane's characters get: the release's table with the server's
/// `codepoint-widths` on top (tmux looks its width cache up before `wcwidth()`).
#[derive(Clone, Debug)]
pub struct CharWidths {
    table: &'static WidthTable,
    overrides: CodepointWidths,
    /// 3.6+ ignores U+3164 whatever width it has (screen_write_combine).
    filler_dropped: bool,
}

impl CharWidths {
    /// The widths of `release` with `overrides`.
    pub fn new(release: TmuxRelease, overrides: CodepointWidths) -> Self {
        CharWidths {
            table: WidthTable::for_release(release),
            overrides,
            filler_dropped: release >= TmuxRelease::V3_6a,
        }
    }

    /// The width tmux gives `cp`: 0, 1, 2 or [`DROPPED`]. A table lookup, plus a binary
    /// search when the server has `codepoint-widths`.
    #[inline(always)]
    pub fn width(&self, cp: u32) -> u8 {
        if self.overrides.is_empty() {
            return self.table.width(cp);
        }
        if let Some(w) = self.overrides.get(cp) {
            if self.overridable(cp) {
                return w;
            }
        }
        self.table.width(cp)
    }

    /// The release's table when it is the whole answer (no overrides): callers looking up
    /// many characters ask once.
    #[inline]
    pub fn plain_table(&self) -> Option<&'static WidthTable> {
        self.overrides.is_empty().then_some(self.table)
    }

    /// Whether an override of `cp` (`codepoint-widths`, a platform width) can change its
    /// width: not for the Hangul filler from 3.6, which tmux ignores whatever its width.
    #[inline]
    pub fn overridable(&self, cp: u32) -> bool {
        !(self.filler_dropped && cp == 0x3164)
    }

    /// The release's table.
    pub fn table(&self) -> &'static WidthTable {
        self.table
    }

    /// The server's overrides.
    pub fn overrides(&self) -> &CodepointWidths {
        &self.overrides
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_bits_is_width_for_every_character() {
        for release in TmuxRelease::ALL {
            let t = WidthTable::for_release(release);
            for cp in 0x80..=0x10ffff {
                let want = match t.width(cp) {
                    DROPPED => 3,
                    w => w,
                };
                assert_eq!(t.width_bits(cp), want, "{release:?} U+{cp:04X}");
            }
        }
    }

    #[test]
    fn two_level_tables_match_their_ranges() {
        for r in TmuxRelease::ALL {
            let t = WidthTable::for_release(r);
            assert!(t.releases().contains(&r.name()), "{r}");
            for w in t.ranges().windows(2) {
                assert!(w[0].0 <= w[0].1 && w[0].1 < w[1].0, "{r}: {w:?}");
            }
            for cp in 0..0x140000u32 {
                assert_eq!(t.width(cp), t.width_from_ranges(cp), "{r} U+{cp:04X}");
            }
        }
    }

    #[test]
    fn releases_differ_where_their_code_does() {
        use TmuxRelease::*;
        let w = |r: TmuxRelease, cp: u32| WidthTable::for_release(r).width(cp);
        // U+0378 is unassigned in glibc 2.36: width 1 in 3.2a, dropped in 3.3a, 1 again later.
        assert_eq!(
            [V3_2a, V3_3a, V3_4, V3_6a].map(|r| w(r, 0x378)),
            [1, DROPPED, 1, 1]
        );
        // C1 controls: 1 in 3.2a, dropped in 3.3a, 0 from 3.4.
        assert_eq!([V3_2a, V3_3a, V3_4].map(|r| w(r, 0x85)), [1, DROPPED, 0]);
        // Regional indicators: glibc's 1, then 2 (3.4, 3.5a), then 1 again (3.6+).
        assert_eq!(
            [V3_3a, V3_4, V3_5a, V3_6a, Next3_8].map(|r| w(r, 0x1F1E6)),
            [1, 2, 2, 1, 1]
        );
        // Emoji modifiers are wide in glibc already; U+261D is forced wide from 3.4.
        assert_eq!([V3_3a, V3_4, V3_7c].map(|r| w(r, 0x1F3FB)), [2, 2, 2]);
        assert_eq!([V3_3a, V3_4, V3_7c].map(|r| w(r, 0x261D)), [1, 2, 2]);
        // Past U+10FFFF: what each release does with an unprintable character.
        assert_eq!(
            [V3_2a, V3_3a, V3_4].map(|r| w(r, 0x110000)),
            [1, DROPPED, 1]
        );
        // Hangul filler: wide, until 3.6 ignores it.
        assert_eq!([V3_5a, V3_6a].map(|r| w(r, 0x3164)), [2, DROPPED]);
        // The same everywhere: CJK, combining marks, ZWJ, VS16.
        for r in TmuxRelease::ALL {
            assert_eq!(w(r, 0x4E2D), 2);
            assert_eq!(w(r, 0x301), 0);
            assert_eq!(w(r, 0x200D), 0);
            assert_eq!(w(r, 0xFE0F), 0);
            assert_eq!(w(r, 'é' as u32), 1);
        }
    }

    #[test]
    fn codepoint_widths_follow_each_release() {
        use TmuxRelease::*;
        let (o, rej) = CodepointWidths::parse(V3_5a, &["U+1F600=1"]);
        assert!(o.is_empty());
        assert_eq!(rej, [RejectedWidth::NoOption(V3_5a)]);

        let items = [
            "U+1F600=1",
            "中=1",
            "U+2600-U+2603=2",
            "U+0=1",
            "U+110000=1",
            "x=3",
        ];
        let (o, rej) = CodepointWidths::parse(V3_6a, &items);
        assert_eq!(o.get(0x1F600), Some(1));
        assert_eq!(o.get(0x4E2D), Some(1));
        assert_eq!(o.get(0x2600), None, "ranges are 3.7+");
        assert_eq!(rej.len(), 3);
        let (o, rej) = CodepointWidths::parse(V3_7c, &items);
        assert_eq!(o.get(0x2600), Some(2));
        assert_eq!(o.get(0x2603), Some(2));
        assert_eq!(o.get(0x2604), None);
        assert_eq!(o.get(0x10FFFF), None);
        assert_eq!(rej.len(), 2, "{rej:?}"); // U+0 and x=3

        // Later items win, also inside an earlier range.
        let (o, _) = CodepointWidths::parse(Next3_8, &["U+100-U+1FF=2", "U+150=0"]);
        assert_eq!(
            o.ranges(),
            &[(0x100, 0x14F, 2), (0x150, 0x150, 0), (0x151, 0x1FF, 2)]
        );
        let (o, _) = CodepointWidths::parse(Next3_8, &["U+150=0", "U+100-U+1FF=2"]);
        assert_eq!(o.ranges(), &[(0x100, 0x1FF, 2)]);

        // strtoull/strtonum edge cases tmux accepts or refuses.
        for (item, ok) in [
            ("U+0x41=2", true),
            ("U+ 41=2", true),
            ("U+41= 2", true),
            ("U+41=2 ", false),
            ("U+=2", false),
            ("U+41", false),
            ("U+-1=1", false),
            ("U+7fffffff=1", true),
            ("U+80000000=1", false),
            ("U+41-U+40=1", false),
            ("U+41-42=1", false),
            ("ab=1", false),
            ("=1", false),
        ] {
            let (_, rej) = CodepointWidths::parse(V3_7c, &[item]);
            assert_eq!(rej.is_empty(), ok, "{item}: {rej:?}");
        }
    }

    #[test]
    fn overrides_come_before_the_table_but_not_for_the_hangul_filler() {
        let (o, _) = CodepointWidths::parse(TmuxRelease::V3_7c, &["U+4E2D=1", "U+3164=1", "é=2"]);
        let w = CharWidths::new(TmuxRelease::V3_7c, o);
        assert_eq!(w.width(0x4E2D), 1);
        assert_eq!(w.width('é' as u32), 2);
        assert_eq!(w.width(0x3164), DROPPED);
        assert!(!w.overridable(0x3164) && w.overridable(0x4E2D));
        assert_eq!(w.width(0x4E2E), 2);
    }

    #[test]
    fn platform_widths_sit_under_codepoint_widths() {
        use crate::release::ServerOptions;
        use TmuxRelease::*;
        // Unsorted, a repeated code point (the later wins), out-of-range entries dropped.
        let platform = [
            (0x1FAE9, 2),
            (0x1FAE8, 1),
            (0x1FAE8, 2),
            (0x2E3B, 1),
            (0x110000, 2),
            (0x4E2D, 3),
        ];
        let base = CodepointWidths::from_platform(&platform);
        assert_eq!(base.ranges(), [(0x2E3B, 0x2E3B, 1), (0x1FAE8, 0x1FAE9, 2)]);
        let options = ServerOptions {
            codepoint_widths: vec!["U+1FAE9=1".into()],
            ..ServerOptions::default()
        };
        let (p, _) = V3_7c.profile_on(&options, &platform);
        assert_eq!(p.widths.width(0x1FAE8), 2, "the platform's width");
        assert_eq!(
            p.widths.width(0x1FAE9),
            1,
            "codepoint-widths wins over the platform"
        );
        assert_eq!(p.widths.width(0x2E3B), 1);
        assert_eq!(
            p.widths.width(0x4E2D),
            2,
            "the table where the platform agrees"
        );
        // Before 3.6 there is no codepoint-widths, but the platform still counts.
        let (p, rejected) = V3_4.profile_on(&options, &platform);
        assert_eq!(rejected.len(), 1);
        assert_eq!(p.widths.width(0x1FAE9), 2);
        // No platform widths: the same profile as before, with no overrides to search.
        let (p, _) = V3_4.profile_on(&ServerOptions::default(), &[]);
        assert!(p.widths.overrides().is_empty());
    }
}
