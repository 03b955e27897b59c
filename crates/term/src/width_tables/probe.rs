//! Asking a tmux server which widths it uses, without touching any pane.
//!
//! The tables in this module's parent are glibc 2.36's. A server elsewhere answers from its
//! own platform: a newer glibc knows newer emoji (wide where 2.36 says unprintable), macOS
//! builds use utf8proc (tmux's `utf8proc_wcwidth`: private use is 1, unprintable is 0, not
//! -1), OpenBSD has its own `wcwidth()`. tmux has no format for "the width of code point N",
//! but its format modifiers `l:` (the text itself) and `w:` (its width, summed with the same
//! `utf8_width` that the grid uses, width cache and `codepoint-widths` included) make one:
//!
//! ```text
//! display-message -p '#{w;l:中} #{w;l:🫨} ...'      ->   2 2 ...
//! ```
//!
//! Exists in every release from 3.2a, reads no pane, changes no state, and answers through
//! the control client's own command reply. Checked against the grid of every release by
//! `tests/releases.rs` (`format_probe_matches_the_grid`).
//!
//! **Never on a server whose width function can fail**: tmux up to 3.5a loops forever in
//! `format_width()` (format-draw.c) on a character whose width is an error, and tmux 3.3a
//! (and every OpenBSD build before the 3.4 code) makes every code point its `wcwidth()` calls
//! unprintable an error. Measured: `display -p '#{w;l:U+0378}'` hangs a 3.3a server at 100%
//! CPU, deaf to SIGTERM. [`probe_is_safe`] says when it is allowed.
//!
//! What a probe cannot see: the policy of a release (ZWJ, VS16, regional indicators, Hangul
//! filler; see [`crate::release::GridPolicy`]); a probe answers for one code point alone.

use crate::release::{ReleaseMatch, ReportedVersion, Stage, TmuxRelease, Version};

/// Code points in one probe command; the command is about 11 bytes a code point.
pub const PROBE_BATCH: usize = 256;

/// Why a probe could not be built or read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    /// A code point that cannot go into a format (ASCII, a surrogate, past U+10FFFF).
    #[error("U+{0:04X} cannot be probed")]
    NotProbeable(u32),
    /// More than [`PROBE_BATCH`] code points in one command.
    #[error("{0} code points in one probe (at most {PROBE_BATCH})")]
    TooMany(usize),
    /// The reply is not one number of 0..=2 per code point.
    #[error("probe reply is not {expected} widths: {reply:?}")]
    BadReply {
        /// How many widths were expected.
        expected: usize,
        /// The reply, cut to 80 characters.
        reply: String,
    },
}

/// Whether a width probe may be sent to a server that reported this version: never where
/// tmux's width function can return an error for a valid character (see the module docs).
/// That is tmux's code from 2021-12-06 ("Remove fallback for wcwidth failure") to
/// 2023-01-08 ("Restore code to handle wcwidth failure"): every 3.3 version and every
/// `next-3.4` build (a name used on both sides of those dates), OpenBSD up to 7.2 (OpenBSD
/// never had the fallback before), and anything older than 3.2a, whose code is not known
/// here. Decided on the reported version, not the release emulated (3.3 is emulated as
/// 3.2a but has 3.3's code).
pub fn probe_is_safe(m: &ReleaseMatch) -> bool {
    match m.reported {
        ReportedVersion::Master => false,
        ReportedVersion::OpenBsd { major, minor } => (major, minor) >= (7, 3),
        ReportedVersion::Portable(v) => {
            let from = Version {
                major: 3,
                minor: 3,
                stage: Stage::Next,
                letter: 0,
            };
            v >= TmuxRelease::OLDEST.version() && !(from <= v && v < TmuxRelease::V3_4.version())
        }
    }
}

/// The `display-message -p` argument asking for the widths of `cps`, in order, separated by
/// spaces. Safe to put in single quotes: it holds no quote, `#` or brace besides its own.
pub fn probe_format(cps: &[u32]) -> Result<String, ProbeError> {
    if cps.len() > PROBE_BATCH {
        return Err(ProbeError::TooMany(cps.len()));
    }
    let mut s = String::with_capacity(cps.len() * 11);
    for (i, &cp) in cps.iter().enumerate() {
        // Only non-ASCII: tmux's format syntax is all ASCII, so nothing here can escape `l:`.
        let c = char::from_u32(cp)
            .filter(|_| cp >= 0x80)
            .ok_or(ProbeError::NotProbeable(cp))?;
        if i > 0 {
            s.push(' ');
        }
        s.push_str("#{w;l:");
        s.push(c);
        s.push('}');
    }
    Ok(s)
}

/// The whole command line for `cps` (a control client sends it and reads one reply line).
pub fn probe_command(cps: &[u32]) -> Result<String, ProbeError> {
    Ok(format!("display-message -p '{}'", probe_format(cps)?))
}

/// Reads the reply to [`probe_command`]: one width per code point.
pub fn parse_probe_reply(reply: &str, expected: usize) -> Result<Vec<u8>, ProbeError> {
    let bad = || ProbeError::BadReply {
        expected,
        reply: reply.chars().take(80).collect(),
    };
    let mut out = Vec::with_capacity(expected.min(PROBE_BATCH));
    for word in reply.trim_end_matches(['\r', '\n']).split(' ') {
        if out.len() == expected {
            return Err(bad());
        }
        match word {
            "0" => out.push(0),
            "1" => out.push(1),
            "2" => out.push(2),
            _ => return Err(bad()),
        }
    }
    if out.len() != expected {
        return Err(bad());
    }
    Ok(out)
}

/// A few code points whose width tells a server's platform apart from glibc 2.36 in
/// C.UTF-8: emoji added in Unicode 15 and 16 (unprintable, hence width 1, in glibc 2.36 with
/// tmux 3.4+; wide where the platform knows them), an unassigned code point (1 with glibc,
/// 0 with utf8proc), private use, East Asian ambiguous and a few that moved between Unicode
/// versions. If a server agrees with the table on all of them, the table is taken as exact;
/// if not, [`probe_candidates`] are worth asking.
pub const FINGERPRINT: &[u32] = &[
    0x0378, 0x00AD, 0xE000, 0x2E3A, 0x2E3B, 0x231A, 0x26A1, 0x2B50, 0x1160, 0x115F, 0xD7B0, 0x200B,
    0x2028, 0x3164, 0x1F1E6, 0x1F3FB, 0x1F6DC, 0x1FA75, 0x1FAE8, 0x1FAF7, 0x1FAE9, 0x1FA89,
    0x1FADF, 0x1FABE, 0x1F7F0, 0x16FE4, 0x1AFF0, 0x0300, 0x0483, 0x1F200,
];

/// The code points worth probing when a server disagrees with the fingerprint: the symbol
/// and emoji blocks (U+2000..U+2BFF, U+3000..U+303F, U+1F000..U+1FAFF), Hangul jamo, and the
/// first and last code points of every range of `release`'s table with their neighbours
/// (where another Unicode version's table is likeliest to differ). Sorted, no duplicates,
/// about 8,000 code points (32 commands).
pub fn probe_candidates(release: TmuxRelease) -> Vec<u32> {
    let mut v: Vec<u32> = Vec::new();
    v.extend(0x2000..0x2C00);
    v.extend(0x3000..0x3040);
    v.extend(0x1100..0x1200);
    v.extend(0x1F000..0x1FB00);
    for &(lo, hi, _) in crate::width_tables::WidthTable::for_release(release).ranges() {
        v.extend([lo.saturating_sub(1), lo, hi, hi + 1]);
    }
    v.retain(|&cp| (0xA0..=0x10FFFF).contains(&cp) && !(0xD800..0xE000).contains(&cp));
    v.sort_unstable();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_replies() {
        assert_eq!(
            probe_format(&[0x4E2D, 0x301]).unwrap(),
            "#{w;l:中} #{w;l:\u{301}}"
        );
        assert_eq!(
            probe_command(&[0xE9]).unwrap(),
            "display-message -p '#{w;l:é}'"
        );
        assert_eq!(probe_format(&[0x41]), Err(ProbeError::NotProbeable(0x41)));
        assert_eq!(
            probe_format(&[0xD800]),
            Err(ProbeError::NotProbeable(0xD800))
        );
        assert!(probe_format(&vec![0xE9; PROBE_BATCH + 1]).is_err());
        assert_eq!(parse_probe_reply("2 0 1\n", 3).unwrap(), [2, 0, 1]);
        for bad in ["2 0", "2 0 1 1", "2 0 x", "2  0 1", "", "3 0 1"] {
            assert!(parse_probe_reply(bad, 3).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn candidates_are_probeable() {
        for r in TmuxRelease::ALL {
            let c = probe_candidates(r);
            assert!(c.len() < 12_000, "{r}: {}", c.len());
            for chunk in c.chunks(PROBE_BATCH) {
                probe_format(chunk).unwrap();
            }
        }
        probe_format(FINGERPRINT).unwrap();
    }

    #[test]
    fn never_probes_a_server_that_can_hang() {
        let m = |s: &str| TmuxRelease::from_version(s).unwrap();
        assert!(!probe_is_safe(&m("3.3a")));
        assert!(!probe_is_safe(&m("3.3")));
        assert!(!probe_is_safe(&m("next-3.4")));
        assert!(!probe_is_safe(&m("openbsd-7.2")));
        assert!(probe_is_safe(&m("openbsd-7.8")));
        assert!(!probe_is_safe(&m("3.2")));
        assert!(!probe_is_safe(&m("3.1c")));
        assert!(!probe_is_safe(&m("master")));
        assert!(probe_is_safe(&m("3.2a")));
        assert!(probe_is_safe(&m("3.4")));
        assert!(probe_is_safe(&m("tmux 3.6b")));
        assert!(probe_is_safe(&m("next-3.9")));
    }
}
