//! CSI parameters in one fixed-size form, whether vte parsed them or the fast path did.
//!
//! Values are stored flat; a group is a parameter with its `:` sub-parameters
//! (`38:2::1:2:3` is one group of six values). Grouping follows vte's `Params`.

/// Most values (parameters plus sub-parameters) vte keeps.
const MAX_VALUES: usize = 32;
/// tmux ignores a CSI with more parameters than this (`INPUT_PARAM_MAX`... 24 in 3.3a).
pub(crate) const MAX_GROUPS: usize = 24;

/// Parsed CSI parameters. No allocation; `Copy`-free but cheap to build.
#[derive(Clone, Debug)]
pub(crate) struct CsiParams {
    vals: [u16; MAX_VALUES],
    /// `ends[i]`: one past the last value of group `i`.
    ends: [u8; MAX_GROUPS],
    groups: u8,
    nvals: u8,
    /// More groups than tmux accepts (tmux then ignores the whole sequence).
    pub too_many: bool,
    /// Bit `i`: group `i` was empty (`CSI ;5r`), which tmux reads as its default. Only the
    /// fast path knows; vte reports empty as 0.
    missing: u32,
    /// The parameter text was 64 bytes or longer: tmux's buffer overflows and it drops the
    /// whole sequence.
    pub discard: bool,
}

/// tmux's `param_buf` holds 63 bytes of parameter text; a longer sequence is discarded.
pub(crate) const MAX_PARAM_BYTES: usize = 63;

impl CsiParams {
    #[inline]
    pub fn new() -> CsiParams {
        CsiParams {
            vals: [0; MAX_VALUES],
            ends: [0; MAX_GROUPS],
            groups: 0,
            nvals: 0,
            too_many: false,
            missing: 0,
            discard: false,
        }
    }

    /// Marks empty groups (bit `i` = group `i`), as tracked alongside vte.
    pub fn set_missing(&mut self, mask: u32) {
        self.missing = mask;
    }

    /// Whether group `i` was empty in the input.
    #[inline]
    pub fn is_missing(&self, i: usize) -> bool {
        i < 32 && self.missing & (1 << i) != 0
    }

    /// Converts vte's parameters.
    pub fn from_vte(p: &vte::Params) -> CsiParams {
        let mut out = CsiParams::new();
        for g in p.iter() {
            for (i, &v) in g.iter().enumerate() {
                out.add(v, i + 1 == g.len());
            }
        }
        out
    }

    /// Adds a value; `close` ends its group (`;` or the final byte), else a `:` follows.
    #[inline]
    pub fn add(&mut self, v: u16, close: bool) {
        if self.too_many || self.nvals as usize == MAX_VALUES {
            self.too_many = true;
            return;
        }
        self.vals[self.nvals as usize] = v;
        self.nvals += 1;
        if close {
            if self.groups as usize == MAX_GROUPS {
                self.too_many = true;
                return;
            }
            self.ends[self.groups as usize] = self.nvals;
            self.groups += 1;
        }
    }

    /// Number of groups (parameters).
    #[inline]
    pub fn len(&self) -> usize {
        self.groups as usize
    }

    /// Group `i`: the parameter and its sub-parameters.
    #[inline]
    pub fn group(&self, i: usize) -> &[u16] {
        let end = self.ends[i] as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.vals[start..end]
    }
}

/// What [`parse_fast_csi`] found besides the parameters.
pub(crate) struct FastCsi {
    pub len: usize,
    pub inter: [u8; 2],
    pub ninter: usize,
    pub action: u8,
}

/// A complete, simple CSI sequence at the start of `bytes` (which starts `ESC [`): an
/// optional private marker, digits with `;`/`:`, at most one intermediate, a final byte.
/// Parameters go into `params` (reused, so nothing is zeroed or copied per sequence).
/// Anything else (controls inside, a cut-off sequence, too many values) returns `None`, and
/// the caller hands the bytes to vte. For the sequences it accepts the result is exactly
/// what vte would dispatch.
#[inline]
pub(crate) fn parse_fast_csi(bytes: &[u8], params: &mut CsiParams) -> Option<FastCsi> {
    let mut nvals = 0usize;
    let mut groups = 0usize;
    let mut i = 2;
    let mut inter = [0u8; 2];
    let mut ninter = 0;
    let first = *bytes.get(i)?;
    if (0x3c..=0x3f).contains(&first) {
        inter[0] = first;
        ninter = 1;
        i += 1;
    }
    let mut cur: u16 = 0;
    let mut text = 0usize;
    let mut missing = 0u32;
    // Whether the group being read is still empty (no digit, no `:`).
    let mut empty = true;
    let action;
    loop {
        let b = *bytes.get(i)?;
        i += 1;
        match b {
            b'0'..=b'9' => {
                cur = cur.saturating_mul(10).saturating_add((b - b'0') as u16);
                empty = false;
                text += 1;
            }
            b';' | b':' => {
                if nvals == MAX_VALUES - 1 {
                    return None;
                }
                params.vals[nvals] = cur;
                nvals += 1;
                cur = 0;
                text += 1;
                if b == b';' {
                    if groups == MAX_GROUPS {
                        return None;
                    }
                    if empty {
                        missing |= 1 << groups;
                    }
                    params.ends[groups] = nvals as u8;
                    groups += 1;
                    empty = true;
                } else {
                    empty = false;
                }
            }
            0x20..=0x2f => {
                if ninter == 2 {
                    return None;
                }
                inter[ninter] = b;
                ninter += 1;
                let f = *bytes.get(i)?;
                i += 1;
                if !(0x40..=0x7e).contains(&f) {
                    return None;
                }
                action = f;
                break;
            }
            0x40..=0x7e => {
                action = b;
                break;
            }
            _ => return None,
        }
    }
    if groups == MAX_GROUPS {
        return None;
    }
    if empty {
        missing |= 1 << groups;
    }
    params.vals[nvals] = cur;
    nvals += 1;
    params.ends[groups] = nvals as u8;
    groups += 1;
    params.groups = groups as u8;
    params.nvals = nvals as u8;
    params.too_many = false;
    params.missing = missing;
    params.discard = text > MAX_PARAM_BYTES;
    Some(FastCsi {
        len: i,
        inter,
        ninter,
        action,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_follow_vte() {
        let mut p = CsiParams::new();
        let f = parse_fast_csi(b"\x1b[38:2::1:2:3;1m", &mut p).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p.group(0), &[38, 2, 0, 1, 2, 3]);
        assert_eq!(p.group(1), &[1]);
        assert_eq!(f.action, b'm');
        let f = parse_fast_csi(b"\x1b[?1049h", &mut p).unwrap();
        assert_eq!(&f.inter[..f.ninter], b"?");
        assert_eq!(p.group(0), &[1049]);
        assert_eq!(p.len(), 1);
        parse_fast_csi(b"\x1b[m", &mut p).unwrap();
        assert_eq!(p.len(), 1);
        assert!(parse_fast_csi(b"\x1b[1;2", &mut p).is_none());
        assert!(parse_fast_csi(b"\x1b[1\n2H", &mut p).is_none());
        assert!(parse_fast_csi(b"\x1b[1?2H", &mut p).is_none());
        parse_fast_csi(b"\x1b[;5;r", &mut p).unwrap();
        assert!(p.is_missing(0) && !p.is_missing(1) && p.is_missing(2));
        let long = format!("\x1b[{}31m", "0".repeat(61));
        parse_fast_csi(long.as_bytes(), &mut p).unwrap();
        assert!(!p.discard, "63 bytes of parameters are kept");
        let long = format!("\x1b[{}31m", "0".repeat(62));
        parse_fast_csi(long.as_bytes(), &mut p).unwrap();
        assert!(p.discard, "64 bytes are discarded");
        let long = format!("\x1b[?{}31h", "0".repeat(61));
        parse_fast_csi(long.as_bytes(), &mut p).unwrap();
        assert!(!p.discard);
        let vte_params = {
            // The same parameters through vte agree.
            struct Grab(Option<CsiParams>);
            impl vte::Perform for Grab {
                fn csi_dispatch(&mut self, p: &vte::Params, _: &[u8], _: bool, _: char) {
                    self.0 = Some(CsiParams::from_vte(p));
                }
            }
            let mut g = Grab(None);
            vte::Parser::new().advance(&mut g, b"\x1b[38:2::1:2:3;1;;5m");
            g.0.unwrap()
        };
        parse_fast_csi(b"\x1b[38:2::1:2:3;1;;5m", &mut p).unwrap();
        assert_eq!(p.len(), vte_params.len());
        for i in 0..p.len() {
            assert_eq!(p.group(i), vte_params.group(i));
        }
    }
}
