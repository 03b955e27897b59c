//! tmux releases, and what each one does differently to a pane's grid.
//!
//! A pane's grid depends on the tmux release that draws it and on two server options:
//! [`TmuxRelease`] names the releases muxlink knows (as `tmux -V` and `#{version}` print
//! them), [`TmuxRelease::from_version`] maps any version string to one of them (the nearest
//! known release below it, and says so when that is an approximation), and
//! [`TmuxRelease::grid_policy`] gives the switches an emulator needs ([`GridPolicy`]); the
//! character widths are [`crate::width_tables`].
//!
//! Every switch below was read from tmux's source at the release's tag (files and functions
//! are named on each) and checked against the release's own grid by the recorded cases in
//! `tests/releases/`. `docs/tmux-releases.md` has the whole comparison.

use std::fmt;

use crate::width_tables::{CharWidths, CodepointWidths, RejectedWidth};

/// A tmux release whose grid behaviour muxlink knows.
///
/// Ordered by age: `V3_2a < V3_3a < ... < Next3_8`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TmuxRelease {
    /// 3.2a (June 2021): Ubuntu 22.04, RHEL 9.
    V3_2a,
    /// 3.3a (June 2022): Debian 12.
    V3_3a,
    /// 3.4 (February 2024): Ubuntu 24.04.
    V3_4,
    /// 3.5a (October 2024): Debian 13, Fedora.
    V3_5a,
    /// 3.6a (December 2025).
    V3_6a,
    /// 3.7c (July 2026): Homebrew, Arch.
    V3_7c,
    /// `next-3.8`: tmux's master branch as of 2026-08-21, what 3.8 becomes.
    Next3_8,
}

impl TmuxRelease {
    /// Every known release, oldest first.
    pub const ALL: [TmuxRelease; 7] = [
        TmuxRelease::V3_2a,
        TmuxRelease::V3_3a,
        TmuxRelease::V3_4,
        TmuxRelease::V3_5a,
        TmuxRelease::V3_6a,
        TmuxRelease::V3_7c,
        TmuxRelease::Next3_8,
    ];

    /// The newest known release (the default when nothing says otherwise).
    pub const NEWEST: TmuxRelease = TmuxRelease::Next3_8;

    /// The oldest known release.
    pub const OLDEST: TmuxRelease = TmuxRelease::V3_2a;

    /// The name as `tmux -V` prints it after `tmux `: `3.2a`, ..., `next-3.8`.
    pub const fn name(self) -> &'static str {
        match self {
            TmuxRelease::V3_2a => "3.2a",
            TmuxRelease::V3_3a => "3.3a",
            TmuxRelease::V3_4 => "3.4",
            TmuxRelease::V3_5a => "3.5a",
            TmuxRelease::V3_6a => "3.6a",
            TmuxRelease::V3_7c => "3.7c",
            TmuxRelease::Next3_8 => "next-3.8",
        }
    }

    /// Position in [`TmuxRelease::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The version this release reports.
    pub const fn version(self) -> Version {
        let (minor, stage, letter) = match self {
            TmuxRelease::V3_2a => (2, Stage::Release, b'a'),
            TmuxRelease::V3_3a => (3, Stage::Release, b'a'),
            TmuxRelease::V3_4 => (4, Stage::Release, 0),
            TmuxRelease::V3_5a => (5, Stage::Release, b'a'),
            TmuxRelease::V3_6a => (6, Stage::Release, b'a'),
            TmuxRelease::V3_7c => (7, Stage::Release, b'c'),
            TmuxRelease::Next3_8 => (8, Stage::Next, 0),
        };
        Version {
            major: 3,
            minor,
            stage,
            letter,
        }
    }

    /// The known release with exactly this name (`3.4`, `next-3.8`; `tmux 3.4` too).
    pub fn from_name(name: &str) -> Option<TmuxRelease> {
        let m = TmuxRelease::from_version(name).ok()?;
        m.is_exact().then_some(m.release)
    }

    /// Reads what `tmux -V` or the format `#{version}` printed (`3.3a`, `tmux 3.3a`,
    /// `next-3.8`, `3.1-rc2`, `openbsd-7.4`, `master`) and picks the known release to
    /// emulate: the same one, else the nearest known one below it, else (older than all)
    /// the oldest. The result says whether that is exact. The text may come from a hostile
    /// server: it is bounded and checked, never trusted.
    pub fn from_version(text: &str) -> Result<ReleaseMatch, VersionError> {
        let reported = ReportedVersion::parse(text)?;
        Ok(ReleaseMatch::for_reported(reported))
    }

    /// The grid switches of this release with these server options. Costs nothing.
    pub fn grid_policy(self, options: &ServerOptions) -> GridPolicy {
        GridPolicy::new(self, options)
    }

    /// The switches and the character widths together; also returns the `codepoint-widths`
    /// items the release would ignore (for telling a host). Allocates the overrides.
    pub fn profile(self, options: &ServerOptions) -> (ReleaseProfile, Vec<RejectedWidth>) {
        self.profile_on(options, &[])
    }

    /// Like [`TmuxRelease::profile`], on a server whose platform gives `platform` widths
    /// where the release's table says otherwise (`(code point, width)`, as the width probe
    /// found them; see [`crate::width_tables::probe`]), with `codepoint-widths` on top. The
    /// overrides are resolved here, once: an emulator with none looks widths up exactly as
    /// without this, one with some pays a binary search per non-ASCII character.
    pub fn profile_on(
        self,
        options: &ServerOptions,
        platform: &[(u32, u8)],
    ) -> (ReleaseProfile, Vec<RejectedWidth>) {
        let (overrides, rejected) = CodepointWidths::parse_onto(
            CodepointWidths::from_platform(platform),
            self,
            &options.codepoint_widths,
        );
        (
            ReleaseProfile {
                policy: self.grid_policy(options),
                widths: CharWidths::new(self, overrides),
            },
            rejected,
        )
    }
}

impl fmt::Display for TmuxRelease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a version stands in a release cycle; ordered `Next < Rc < Release`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// `next-X.Y`: development towards X.Y (after every release before it).
    Next,
    /// `X.Y-rc` (1), `X.Y-rcN`: a release candidate.
    Rc(u8),
    /// `X.Y` or `X.Yz`.
    Release,
}

/// A portable tmux version: `3.3a` is `{3, 3, Release, b'a'}`, `next-3.8` is
/// `{3, 8, Next, 0}`. Ordered as the releases came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// `3` in 3.4.
    pub major: u16,
    /// `4` in 3.4.
    pub minor: u16,
    /// Development, release candidate or release.
    pub stage: Stage,
    /// The bug-fix letter (`b'a'` in 3.3a), 0 for none.
    pub letter: u8,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.stage {
            Stage::Next => write!(f, "next-{}.{}", self.major, self.minor),
            Stage::Rc(1) => write!(f, "{}.{}-rc", self.major, self.minor),
            Stage::Rc(n) => write!(f, "{}.{}-rc{n}", self.major, self.minor),
            Stage::Release if self.letter == 0 => write!(f, "{}.{}", self.major, self.minor),
            Stage::Release => write!(f, "{}.{}{}", self.major, self.minor, self.letter as char),
        }
    }
}

/// A version string as tmux prints it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReportedVersion {
    /// Portable tmux (`3.3a`, `next-3.8`, `3.1-rc2`).
    Portable(Version),
    /// tmux in OpenBSD's base system, which names itself after the OS: `openbsd-7.4`.
    OpenBsd {
        /// `7` in openbsd-7.4.
        major: u16,
        /// `4` in openbsd-7.4.
        minor: u16,
    },
    /// `master`: what builds of tmux's git master printed before development versions were
    /// named `next-X.Y` (October 2018, before 2.9), so older than every known release.
    Master,
}

/// The longest version string taken (tmux's are under 16 bytes).
pub const MAX_VERSION_LEN: usize = 64;

/// A version string muxlink cannot read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// Empty, too long, or not of a form tmux prints; the text is shown escaped.
    #[error("not a tmux version: {0}")]
    Unreadable(String),
}

impl ReportedVersion {
    /// Parses `3.3a`, `tmux 3.3a`, `tmux-3.2a 3.2a` (the last word counts), `next-3.8`,
    /// `3.1-rc`, `3.1-rc3`, `openbsd-7.4`, `master`.
    pub fn parse(text: &str) -> Result<ReportedVersion, VersionError> {
        let bad = || {
            let shown: String = text.chars().take(MAX_VERSION_LEN).collect();
            VersionError::Unreadable(format!("{:?}", shown))
        };
        if text.len() > MAX_VERSION_LEN {
            return Err(bad());
        }
        let word = text.split_ascii_whitespace().last().ok_or_else(bad)?;
        if !word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        {
            return Err(bad());
        }
        if word == "master" {
            return Ok(ReportedVersion::Master);
        }
        if let Some(os) = word.strip_prefix("openbsd-") {
            let (major, minor) = major_minor(os).ok_or_else(bad)?;
            return Ok(ReportedVersion::OpenBsd { major, minor });
        }
        if let Some(v) = word.strip_prefix("next-") {
            let (major, minor) = major_minor(v).ok_or_else(bad)?;
            return Ok(ReportedVersion::Portable(Version {
                major,
                minor,
                stage: Stage::Next,
                letter: 0,
            }));
        }
        let (base, stage) = match word.split_once("-rc") {
            Some((base, "")) => (base, Stage::Rc(1)),
            Some((base, n)) => {
                let n: u8 = n.parse().map_err(|_| bad())?;
                (base, Stage::Rc(n.max(1)))
            }
            None => (word, Stage::Release),
        };
        let (letter, base) = match base.as_bytes().last() {
            Some(&c) if c.is_ascii_lowercase() => (c, &base[..base.len() - 1]),
            _ => (0, base),
        };
        if letter != 0 && stage != Stage::Release {
            return Err(bad());
        }
        let (major, minor) = major_minor(base).ok_or_else(bad)?;
        Ok(ReportedVersion::Portable(Version {
            major,
            minor,
            stage,
            letter,
        }))
    }
}

impl fmt::Display for ReportedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReportedVersion::Portable(v) => v.fmt(f),
            ReportedVersion::OpenBsd { major, minor } => write!(f, "openbsd-{major}.{minor}"),
            ReportedVersion::Master => f.write_str("master"),
        }
    }
}

/// `N.N` with small numbers and nothing else.
fn major_minor(s: &str) -> Option<(u16, u16)> {
    let (a, b) = s.split_once('.')?;
    let num = |t: &str| -> Option<u16> {
        if t.is_empty() || t.len() > 4 || !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    Some((num(a)?, num(b)?))
}

/// Why the release emulated is not the one reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Approximation {
    /// An unknown portable release (3.3, 3.6b, 3.9, next-3.9, 3.8-rc): the nearest known
    /// release below it is emulated.
    NearestBelow,
    /// Older than every known release (3.1c, 2.9a): the oldest known one is emulated.
    OlderThanKnown,
    /// OpenBSD's base tmux: the known portable release that came out before that OpenBSD
    /// release is emulated. OpenBSD also has its own `wcwidth()`, not glibc's.
    OpenBsd,
    /// `master`, a build of unknown date before 2.9: the oldest known release is emulated.
    Master,
}

/// What a version string was taken to mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReleaseMatch {
    /// What tmux reported.
    pub reported: ReportedVersion,
    /// The known release emulated.
    pub release: TmuxRelease,
    /// `None` when `release` is exactly what was reported.
    pub approximation: Option<Approximation>,
}

/// OpenBSD releases and the newest known portable tmux released before each (OpenBSD's
/// tmux is tmux's upstream; a release carries the code of its date). Later OpenBSD
/// releases map to the last entry.
const OPENBSD: &[((u16, u16), TmuxRelease)] = &[
    ((7, 0), TmuxRelease::V3_2a),
    ((7, 2), TmuxRelease::V3_3a),
    ((7, 5), TmuxRelease::V3_4),
    ((7, 7), TmuxRelease::V3_5a),
    ((7, 9), TmuxRelease::V3_6a),
    ((8, 0), TmuxRelease::V3_7c),
];

impl ReleaseMatch {
    /// The release to emulate for `reported` (see [`TmuxRelease::from_version`]).
    pub fn for_reported(reported: ReportedVersion) -> ReleaseMatch {
        let (release, approximation) = match reported {
            ReportedVersion::Master => (TmuxRelease::OLDEST, Some(Approximation::Master)),
            ReportedVersion::OpenBsd { major, minor } => {
                let r = OPENBSD
                    .iter()
                    .rev()
                    .find(|(os, _)| *os <= (major, minor))
                    .map_or(TmuxRelease::OLDEST, |&(_, r)| r);
                (r, Some(Approximation::OpenBsd))
            }
            ReportedVersion::Portable(v) => {
                match TmuxRelease::ALL.iter().rev().find(|r| r.version() <= v) {
                    Some(&r) if r.version() == v => (r, None),
                    Some(&r) => (r, Some(Approximation::NearestBelow)),
                    None => (TmuxRelease::OLDEST, Some(Approximation::OlderThanKnown)),
                }
            }
        };
        ReleaseMatch {
            reported,
            release,
            approximation,
        }
    }

    /// Whether the emulated release is exactly the reported one.
    pub fn is_exact(&self) -> bool {
        self.approximation.is_none()
    }

    /// A sentence for a host when the match is approximate, `None` when exact.
    pub fn notice(&self) -> Option<String> {
        let why = match self.approximation? {
            Approximation::NearestBelow => "not known to muxlink; the nearest older known release",
            Approximation::OlderThanKnown => "older than every release muxlink knows; the oldest",
            Approximation::OpenBsd => "OpenBSD's tmux; the portable release of its time",
            Approximation::Master => "an old development build; the oldest known release",
        };
        Some(format!(
            "tmux {} is {why}, {}, is emulated: some characters may land in other cells than tmux puts them",
            self.reported, self.release
        ))
    }
}

/// The server options that change the grid. Read them with
/// `show-options -s variation-selector-always-wide` and `show-options -sv codepoint-widths`
/// (3.6+; older releases have neither) and keep them in step when they change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerOptions {
    /// `variation-selector-always-wide` (3.6+, default on): VS16 makes the character before
    /// it wide. Releases 3.4 and 3.5a always do; 3.2a and 3.3a never do.
    pub variation_selector_always_wide: bool,
    /// `codepoint-widths` (3.6+) items, e.g. `U+1F600=1`, `U+2600-U+26FF=2` (3.7+).
    pub codepoint_widths: Vec<String>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            variation_selector_always_wide: true,
            codepoint_widths: Vec::new(),
        }
    }
}

/// What a code point glibc calls unprintable (`wcwidth() < 0`) becomes (utf8.c,
/// `utf8_width`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Unprintable {
    /// 3.2a: width 1 (the fallback for platforms with incomplete tables).
    WidthOne,
    /// 3.3a: an error; the character is dropped (never reaches the grid, clears REP's
    /// last character).
    Dropped,
    /// 3.4+: C1 controls (U+0080..U+009F) width 0, everything else width 1.
    C1ZeroElseOne,
}

/// What U+200D ZERO WIDTH JOINER does (screen-write.c, `screen_write_cell` /
/// `screen_write_combine`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ZwjRule {
    /// 3.2a: an ordinary zero-width character: appended to the cell before the cursor;
    /// the character after it is not joined.
    ZeroWidth,
    /// 3.3a: not stored when it arrives; it sets a flag, and the next character that is
    /// not printable ASCII (any width) is appended to the cell before the cursor together
    /// with the ZWJ, keeping that cell's width, or dropped in column 0. The flag survives
    /// line feeds, cursor motions and ASCII text (printable ASCII never looks at it). It
    /// lives in the writing context, which tmux resets for every read from the pane, so a
    /// ZWJ at the end of one read joins nothing; a client cannot see tmux's reads.
    JoinNext,
    /// 3.4+: appended to the previous cell like any zero-width character; a following
    /// non-ASCII character is appended too if that cell's text ends in a ZWJ, keeping the
    /// cell's width.
    JoinIfCellEndsInZwj,
}

/// What U+FE0F VARIATION SELECTOR-16 does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Vs16Rule {
    /// 3.2a, 3.3a; 3.6+ with `variation-selector-always-wide` off: an ordinary zero-width
    /// character (appended, no width change).
    ZeroWidth,
    /// 3.4: appended, and a width-1 cell becomes width 2; the padding cell is put one
    /// column too far right (at the cursor + 1), the cell under the cursor is left as it
    /// was, and the cursor moves one right.
    WidenPaddingOffByOne,
    /// 3.5a; 3.6+ with the option on (the default): appended, and a width-1 cell becomes
    /// width 2 (padding at the old cursor column); the cursor moves one right.
    Widen,
}

/// Which cell a zero-width (or joining) character is appended to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CombineTarget {
    /// 3.2a, 3.3a: the nearest non-padding cell left of the cursor, however far; nothing
    /// at column 0.
    NearestCell,
    /// 3.4+: the cell just left of the cursor if it has width 1, or the one two left (over
    /// one padding cell, not from column 1) if it has width 2; otherwise the character is
    /// dropped (zero-width) or printed on its own.
    AdjacentOfMatchingWidth,
}

/// Regional indicators U+1F1E6..U+1F1FF (flags are pairs of them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegionalIndicatorRule {
    /// 3.2a, 3.3a: glibc's width 1 each, no pairing.
    Plain,
    /// 3.4, 3.5a: width 2 each (tmux's table), and one is appended to the cell before it
    /// whenever that cell is not single-byte (any non-ASCII character, another indicator
    /// included), which makes a width-1 cell wide: every indicator in a row joins one cell.
    JoinAnyNonAscii,
    /// 3.6a: width 1 each; one is appended to the previous cell if that cell's first code
    /// point is an indicator (so a whole row of them chains into one cell), making it wide.
    ChainAfterIndicator,
    /// 3.7+: as 3.6a but only a cell holding exactly one indicator takes exactly one more:
    /// pairs.
    Pairs,
}

/// Emoji modifiers U+1F3FB..U+1F3FF (skin tones).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EmojiModifierRule {
    /// 3.2a, 3.3a: glibc's width 2, printed on their own.
    Plain,
    /// 3.4, 3.5a: appended to the previous cell if it is not single-byte (any non-ASCII
    /// character), making a width-1 cell wide.
    JoinAnyNonAscii,
    /// 3.6+: appended when the previous cell starts with one of tmux's emoji bases
    /// (utf8-combined.c, `utf8_should_combine`), or a listed base is appended to a cell
    /// starting with a modifier (either order); a width-1 cell becomes wide.
    JoinListedBase,
}

/// A zero-width character that would make a cell's text longer than it can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OverflowRule {
    /// 3.2a, 3.3a, next-3.8: dropped.
    Dropped,
    /// 3.4 .. 3.7c: written as a cell of its own, of width 0, at the cursor (over what was
    /// there); the cursor does not move.
    OwnCell,
}

/// What `CSI Ps b` (REP) repeats (input.c, `INPUT_CSI_REP`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RepRule {
    /// 3.2a .. 3.4: the last printable ASCII character, printed again through the normal
    /// path (the current character set applies); after a UTF-8 character nothing.
    AsciiOnly,
    /// 3.5a: the last printed character, UTF-8 too, with the current attributes but never
    /// the DEC line-drawing set.
    AnyCharacterNoCharset,
    /// 3.6+: the last printed character, UTF-8 too, in the current character set.
    AnyCharacter,
}

/// The grid switches of one release with the server's options: everything besides the
/// character widths that differs between releases. Plain data; see each type for the
/// rule and where tmux implements it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GridPolicy {
    /// The release these switches describe.
    pub release: TmuxRelease,
    /// Code points glibc calls unprintable (already in the width tables).
    pub unprintable: Unprintable,
    /// U+200D.
    pub zwj: ZwjRule,
    /// U+FE0F (VS15, U+FE0E, is an ordinary zero-width character in every release).
    pub vs16: Vs16Rule,
    /// Where zero-width characters go.
    pub combine_target: CombineTarget,
    /// Flags.
    pub regional_indicators: RegionalIndicatorRule,
    /// Skin tones.
    pub emoji_modifiers: EmojiModifierRule,
    /// 3.6+: Hangul jamo compose by tmux's own rules (utf8-combined.c,
    /// `hanguljamo_check_state`): a medial (jungseong) of non-zero width joins a cell
    /// ending in an initial, a final (jongseong) one ending in a medial, anything else
    /// of those classes is dropped; U+3164 HANGUL FILLER is dropped (the width tables
    /// already say so). With glibc the medials and finals are zero-width, so only
    /// `codepoint-widths` or another platform makes this visible.
    pub hangul_jamo: bool,
    /// Most bytes of UTF-8 a cell holds (`UTF8_SIZE`): 21 before 3.6, 32 from 3.6.
    pub max_cell_bytes: u8,
    /// A zero-width character that no longer fits in its cell.
    pub overflow: OverflowRule,
    /// 3.6+: a tab over blank cells is stored as one tab cell as wide as the tab
    /// (captured as `\t`, padding after it); over text it only moves the cursor.
    pub tabs_in_grid: bool,
    /// REP.
    pub rep: RepRule,
    /// 3.6+: an invalid or cut-off UTF-8 sequence prints U+FFFD (width 1) instead of
    /// nothing (input.c, `input_stop_utf8`); a printable ASCII byte or a C0 control ends
    /// the sequence and prints its placeholder first.
    pub invalid_utf8_placeholder: bool,
    /// 3.6+: printable ASCII written over the second half of a wide character in column 0
    /// clears the wide character (screen-write.c, `screen_write_collect_end`); before 3.6
    /// the wide character stays and the new text sits in its padding (`capture-pane` then
    /// shows both). Wide characters further right are cleared by every release.
    pub clears_wide_at_column_0: bool,
    /// Where the cursor goes when VS16, a modifier or a regional indicator widens the
    /// character in the last column.
    pub widen_at_last_column: WidenAtLastColumn,
    /// next-3.8: the cells a wide character or a tab leaves when half of it is overwritten
    /// keep their background colour, and padding cells carry their character's
    /// (screen-write.c, `screen_write_clear_cell`; grid.c, `grid_set_padding`); before,
    /// they become default cells.
    pub leftovers_keep_background: bool,
    /// 3.6a, 3.7c: writing a character that is not ASCII over a tab's first cell turns the
    /// rest of the tab into one-column tabs with its style (`screen_write_overwrite`);
    /// next-3.8 clears them as any other leftovers.
    pub overwritten_tab_leaves_tabs: bool,
    /// 3.7+: changing `history-limit` applies to existing panes at once, dropping the
    /// oldest lines over the limit (session.c, `session_update_history`); before, only
    /// panes made afterwards take it.
    pub history_limit_live: bool,
    /// 3.7+: titles a program sets go through tmux.c's `clean_name`: `#(` becomes `_(` and
    /// what `vis(3)` would escape is escaped (C0 controls never reach a title: the OSC
    /// parser drops them in every release).
    pub title_escaped: bool,
    /// `capture-pane -e` includes cells past the last written one (erased with a colour):
    /// their SGR shows at the end of the line and carries into the next. 3.3a stops at the
    /// last used cell (grid.c, `grid_string_cells`, `cellused`); 3.2a and 3.4+ go to the
    /// line's allocated size (3.4+: unless `-T`).
    pub capture_trailing_cleared_cells: bool,
}

/// The cursor after a character in the last column is widened (VS16, a modifier, a second
/// regional indicator): the cell becomes width 2 reaching past the edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WidenAtLastColumn {
    /// 3.4 .. 3.6a (and where nothing widens): the cursor is put on the last column, so the
    /// next character overwrites the widened one.
    CursorOnLastColumn,
    /// 3.7+: a combined character that is not wholly visible is not redrawn and the cursor
    /// is left where it was (past the last column, wrap pending), so the next character
    /// wraps. The check uses what is visible of the pane in its window
    /// (`screen_redraw_get_visible_ranges`), so a pane partly covered (a floating pane)
    /// behaves the same way at the covered edge.
    CursorStays,
}

impl GridPolicy {
    /// The switches of `release` with `options`.
    pub fn new(release: TmuxRelease, options: &ServerOptions) -> GridPolicy {
        use TmuxRelease::*;
        let at_least = |r: TmuxRelease| release >= r;
        GridPolicy {
            release,
            unprintable: match release {
                V3_2a => Unprintable::WidthOne,
                V3_3a => Unprintable::Dropped,
                _ => Unprintable::C1ZeroElseOne,
            },
            zwj: match release {
                V3_2a => ZwjRule::ZeroWidth,
                V3_3a => ZwjRule::JoinNext,
                _ => ZwjRule::JoinIfCellEndsInZwj,
            },
            vs16: match release {
                V3_2a | V3_3a => Vs16Rule::ZeroWidth,
                V3_4 => Vs16Rule::WidenPaddingOffByOne,
                V3_5a => Vs16Rule::Widen,
                _ if options.variation_selector_always_wide => Vs16Rule::Widen,
                _ => Vs16Rule::ZeroWidth,
            },
            combine_target: if at_least(V3_4) {
                CombineTarget::AdjacentOfMatchingWidth
            } else {
                CombineTarget::NearestCell
            },
            regional_indicators: match release {
                V3_2a | V3_3a => RegionalIndicatorRule::Plain,
                V3_4 | V3_5a => RegionalIndicatorRule::JoinAnyNonAscii,
                V3_6a => RegionalIndicatorRule::ChainAfterIndicator,
                _ => RegionalIndicatorRule::Pairs,
            },
            emoji_modifiers: match release {
                V3_2a | V3_3a => EmojiModifierRule::Plain,
                V3_4 | V3_5a => EmojiModifierRule::JoinAnyNonAscii,
                _ => EmojiModifierRule::JoinListedBase,
            },
            hangul_jamo: at_least(V3_6a),
            max_cell_bytes: if at_least(V3_6a) { 32 } else { 21 },
            overflow: match release {
                V3_4 | V3_5a | V3_6a | V3_7c => OverflowRule::OwnCell,
                _ => OverflowRule::Dropped,
            },
            tabs_in_grid: at_least(V3_6a),
            rep: match release {
                V3_2a | V3_3a | V3_4 => RepRule::AsciiOnly,
                V3_5a => RepRule::AnyCharacterNoCharset,
                _ => RepRule::AnyCharacter,
            },
            invalid_utf8_placeholder: at_least(V3_6a),
            clears_wide_at_column_0: at_least(V3_6a),
            widen_at_last_column: if at_least(V3_7c) {
                WidenAtLastColumn::CursorStays
            } else {
                WidenAtLastColumn::CursorOnLastColumn
            },
            leftovers_keep_background: at_least(Next3_8),
            overwritten_tab_leaves_tabs: matches!(release, V3_6a | V3_7c),
            history_limit_live: at_least(V3_7c),
            title_escaped: at_least(V3_7c),
            capture_trailing_cleared_cells: release != V3_3a,
        }
    }
}

/// A release's switches and character widths: what an emulator is configured with.
#[derive(Clone, Debug)]
pub struct ReleaseProfile {
    /// The switches.
    pub policy: GridPolicy,
    /// Widths: the release's table, the server's platform widths where they differ from it,
    /// and `codepoint-widths` on top.
    pub widths: CharWidths,
}

/// Emoji bases a skin-tone modifier joins from 3.6 (utf8-combined.c,
/// `utf8_should_combine`): sorted.
pub const EMOJI_MODIFIER_BASES: &[u32] = &[
    0x1F44B, 0x1F44C, 0x1F44D, 0x1F44E, 0x1F44F, 0x1F450, 0x1F466, 0x1F467, 0x1F468, 0x1F469,
    0x1F46E, 0x1F470, 0x1F471, 0x1F472, 0x1F473, 0x1F474, 0x1F475, 0x1F476, 0x1F477, 0x1F478,
    0x1F47C, 0x1F481, 0x1F482, 0x1F483, 0x1F485, 0x1F486, 0x1F487, 0x1F4AA, 0x1F575, 0x1F57A,
    0x1F590, 0x1F595, 0x1F596, 0x1F645, 0x1F646, 0x1F647, 0x1F64B, 0x1F64C, 0x1F64D, 0x1F64E,
    0x1F64F, 0x1F6B4, 0x1F6B5, 0x1F6B6, 0x1F926, 0x1F937, 0x1F938, 0x1F939, 0x1F93D, 0x1F93E,
    0x1F9B5, 0x1F9B6, 0x1F9B8, 0x1F9B9, 0x1F9CD, 0x1F9CE, 0x1F9CF, 0x1F9D1, 0x1F9D2, 0x1F9D3,
    0x1F9D4, 0x1F9D5, 0x1F9D6, 0x1F9D7, 0x1F9D8, 0x1F9D9, 0x1F9DA, 0x1F9DB, 0x1F9DC, 0x1F9DD,
    0x1F9DE, 0x1F9DF,
];

/// Whether `cp` is a regional indicator.
pub fn is_regional_indicator(cp: u32) -> bool {
    (0x1F1E6..=0x1F1FF).contains(&cp)
}

/// Whether `cp` is an emoji (skin-tone) modifier.
pub fn is_emoji_modifier(cp: u32) -> bool {
    (0x1F3FB..=0x1F3FF).contains(&cp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use TmuxRelease::*;

    fn m(s: &str) -> ReleaseMatch {
        TmuxRelease::from_version(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn known_releases_read_back_exactly() {
        for r in TmuxRelease::ALL {
            let got = m(r.name());
            assert_eq!((got.release, got.is_exact()), (r, true), "{r}");
            assert_eq!(got.reported.to_string(), r.name());
            assert_eq!(TmuxRelease::from_name(&format!("tmux {r}")), Some(r));
            assert!(got.notice().is_none());
        }
        // The static 3.2a build prints its program name first.
        assert_eq!(m("tmux-3.2a 3.2a").release, V3_2a);
        assert_eq!(m("tmux 3.3a\n").release, V3_3a);
    }

    #[test]
    fn unknown_releases_take_the_nearest_known_below() {
        for (text, want, why) in [
            ("3.3", V3_2a, Approximation::NearestBelow),
            ("next-3.4", V3_3a, Approximation::NearestBelow),
            ("3.4-rc", V3_3a, Approximation::NearestBelow),
            ("3.4a", V3_4, Approximation::NearestBelow),
            ("3.5", V3_4, Approximation::NearestBelow),
            ("3.6", V3_5a, Approximation::NearestBelow),
            ("3.6b", V3_6a, Approximation::NearestBelow),
            ("next-3.7", V3_6a, Approximation::NearestBelow),
            ("3.7", V3_6a, Approximation::NearestBelow),
            ("3.8-rc2", Next3_8, Approximation::NearestBelow),
            ("3.8", Next3_8, Approximation::NearestBelow),
            ("3.9", Next3_8, Approximation::NearestBelow),
            ("next-3.9", Next3_8, Approximation::NearestBelow),
            ("4.0", Next3_8, Approximation::NearestBelow),
            ("3.2", V3_2a, Approximation::OlderThanKnown),
            ("3.1c", V3_2a, Approximation::OlderThanKnown),
            ("2.9a", V3_2a, Approximation::OlderThanKnown),
            ("master", V3_2a, Approximation::Master),
            ("openbsd-6.9", V3_2a, Approximation::OpenBsd),
            ("openbsd-7.4", V3_3a, Approximation::OpenBsd),
            ("openbsd-7.6", V3_4, Approximation::OpenBsd),
            ("openbsd-7.8", V3_5a, Approximation::OpenBsd),
            ("openbsd-8.3", V3_7c, Approximation::OpenBsd),
        ] {
            let got = m(text);
            assert_eq!(
                (got.release, got.approximation),
                (want, Some(why)),
                "{text}"
            );
            let notice = got.notice().unwrap();
            assert!(
                notice.contains(text) && notice.contains(want.name()),
                "{notice}"
            );
        }
    }

    #[test]
    fn versions_order_as_released() {
        let v = |s: &str| match ReportedVersion::parse(s).unwrap() {
            ReportedVersion::Portable(v) => v,
            other => panic!("{other:?}"),
        };
        let order = [
            "2.9a", "next-3.0", "3.0-rc", "3.0-rc4", "3.0", "3.0a", "3.1c", "next-3.3", "3.3",
            "3.3a", "next-3.4", "3.4", "3.7c", "next-3.8", "3.8-rc", "3.8", "3.8a", "3.10",
        ];
        for w in order.windows(2) {
            assert!(v(w[0]) < v(w[1]), "{} < {}", w[0], w[1]);
        }
        for s in order {
            assert_eq!(v(s).to_string(), s);
        }
    }

    #[test]
    fn malformed_versions_are_refused() {
        for bad in [
            "",
            "  ",
            "tmux",
            "3",
            "3.",
            ".3",
            "3.3aa",
            "3.3-rcx",
            "3.3a-rc1",
            "next-3",
            "openbsd-",
            "3.3\u{1b}[2J",
            "tmux 3.3a\u{0}",
            "99999.1",
            &"3".repeat(MAX_VERSION_LEN + 1),
        ] {
            assert!(TmuxRelease::from_version(bad).is_err(), "{bad:?}");
        }
        // The error shows the text escaped, never raw.
        let e = TmuxRelease::from_version("\u{1b}]0;x\u{7}").unwrap_err();
        assert!(!e.to_string().contains('\u{1b}'));
    }

    #[test]
    fn policies_switch_where_tmux_changed() {
        let on = ServerOptions::default();
        let off = ServerOptions {
            variation_selector_always_wide: false,
            ..ServerOptions::default()
        };
        let p = |r: TmuxRelease| r.grid_policy(&on);
        assert_eq!(
            TmuxRelease::ALL.map(|r| p(r).tabs_in_grid),
            [false, false, false, false, true, true, true]
        );
        assert_eq!(
            TmuxRelease::ALL.map(|r| p(r).rep),
            [
                RepRule::AsciiOnly,
                RepRule::AsciiOnly,
                RepRule::AsciiOnly,
                RepRule::AnyCharacterNoCharset,
                RepRule::AnyCharacter,
                RepRule::AnyCharacter,
                RepRule::AnyCharacter
            ]
        );
        assert_eq!(
            TmuxRelease::ALL.map(|r| p(r).vs16),
            [
                Vs16Rule::ZeroWidth,
                Vs16Rule::ZeroWidth,
                Vs16Rule::WidenPaddingOffByOne,
                Vs16Rule::Widen,
                Vs16Rule::Widen,
                Vs16Rule::Widen,
                Vs16Rule::Widen
            ]
        );
        // The option exists from 3.6 only.
        assert_eq!(V3_5a.grid_policy(&off).vs16, Vs16Rule::Widen);
        assert_eq!(V3_6a.grid_policy(&off).vs16, Vs16Rule::ZeroWidth);
        assert_eq!(
            TmuxRelease::ALL.map(|r| p(r).overflow),
            [
                OverflowRule::Dropped,
                OverflowRule::Dropped,
                OverflowRule::OwnCell,
                OverflowRule::OwnCell,
                OverflowRule::OwnCell,
                OverflowRule::OwnCell,
                OverflowRule::Dropped
            ]
        );
        assert_eq!(p(V3_5a).max_cell_bytes, 21);
        assert_eq!(p(V3_6a).max_cell_bytes, 32);
        assert_eq!(
            p(V3_6a).regional_indicators,
            RegionalIndicatorRule::ChainAfterIndicator
        );
        assert_eq!(p(V3_7c).regional_indicators, RegionalIndicatorRule::Pairs);
        assert!(!p(V3_6a).history_limit_live && p(V3_7c).history_limit_live);
    }

    #[test]
    fn profile_applies_codepoint_widths_of_the_release() {
        let opts = ServerOptions {
            codepoint_widths: vec!["U+4E2D=1".into(), "U+2600-U+2601=2".into()],
            ..ServerOptions::default()
        };
        let (p, rejected) = V3_6a.profile(&opts);
        assert_eq!(p.widths.width(0x4E2D), 1);
        assert_eq!(p.widths.width(0x2600), 1);
        assert_eq!(rejected.len(), 1);
        let (p, rejected) = V3_7c.profile(&opts);
        assert_eq!(p.widths.width(0x2600), 2);
        assert!(rejected.is_empty());
        let (p, rejected) = V3_4.profile(&opts);
        assert_eq!(p.widths.width(0x4E2D), 2);
        assert_eq!(rejected.len(), 1);
    }

    #[test]
    fn modifier_bases_are_sorted() {
        assert!(EMOJI_MODIFIER_BASES.windows(2).all(|w| w[0] < w[1]));
        assert!(is_regional_indicator(0x1F1FF) && !is_regional_indicator(0x1F200));
        assert!(is_emoji_modifier(0x1F3FB) && !is_emoji_modifier(0x1F3FA));
    }
}
