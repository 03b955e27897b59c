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
}

impl CsiParams {
    #[inline]
    pub fn new() -> CsiParams {
        CsiParams {
            vals: [0; MAX_VALUES],
            ends: [0; MAX_GROUPS],
            groups: 0,
            nvals: 0,
            too_many: false,
        }
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

/// A complete, simple CSI sequence found at the start of `bytes` (which starts `ESC [`):
/// an optional private marker, digits with `;`/`:`, at most one intermediate, a final byte.
/// Anything else (controls inside, a cut-off sequence, too many values) returns `None`, and
/// the caller hands the bytes to vte. For the sequences it accepts the result is exactly
/// what vte would dispatch.
pub(crate) struct FastCsi {
    pub len: usize,
    pub params: CsiParams,
    pub inter: [u8; 2],
    pub ninter: usize,
    pub action: u8,
}

#[inline]
pub(crate) fn parse_fast_csi(bytes: &[u8]) -> Option<FastCsi> {
    // Counters live in locals (not in the struct) so the loop stays in registers.
    let mut vals = [0u16; MAX_VALUES];
    let mut ends = [0u8; MAX_GROUPS];
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
    let action;
    loop {
        let b = *bytes.get(i)?;
        i += 1;
        match b {
            b'0'..=b'9' => {
                cur = cur.saturating_mul(10).saturating_add((b - b'0') as u16);
            }
            b';' | b':' => {
                if nvals == MAX_VALUES - 1 {
                    return None;
                }
                vals[nvals] = cur;
                nvals += 1;
                cur = 0;
                if b == b';' {
                    if groups == MAX_GROUPS {
                        return None;
                    }
                    ends[groups] = nvals as u8;
                    groups += 1;
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
    vals[nvals] = cur;
    nvals += 1;
    ends[groups] = nvals as u8;
    groups += 1;
    Some(FastCsi {
        len: i,
        params: CsiParams {
            vals,
            ends,
            groups: groups as u8,
            nvals: nvals as u8,
            too_many: false,
        },
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
        let f = parse_fast_csi(b"\x1b[38:2::1:2:3;1m").unwrap();
        assert_eq!(f.params.len(), 2);
        assert_eq!(f.params.group(0), &[38, 2, 0, 1, 2, 3]);
        assert_eq!(f.params.group(1), &[1]);
        assert_eq!(f.action, b'm');
        let f = parse_fast_csi(b"\x1b[?1049h").unwrap();
        assert_eq!(&f.inter[..f.ninter], b"?");
        assert_eq!(f.params.group(0), &[1049]);
        let f = parse_fast_csi(b"\x1b[m").unwrap();
        assert_eq!(f.params.len(), 1);
        assert!(parse_fast_csi(b"\x1b[1;2").is_none());
        assert!(parse_fast_csi(b"\x1b[1\n2H").is_none());
        assert!(parse_fast_csi(b"\x1b[1?2H").is_none());
    }
}
