//! tmux layout strings: parse into a tree, print back byte-identical, checksum.
//!
//! Grammar (as tmux prints it, `layout_dump` in tmux's `layout-custom.c`):
//!
//! ```text
//! layout   = csum "," node [ "<" node { "," node } ">" ]
//! csum     = 4 lowercase hex digits            (tmux: printf "%04hx")
//! node     = cols "x" rows "," x "," y ( "," id | "{" nodes "}" | "[" nodes "]" )
//! nodes    = node { "," node }
//! ```
//!
//! `{}` is a left-right split, `[]` top-bottom. tmux 3.7 appends floating panes in `<...>`
//! after the tiled tree; a floating pane also appears as a cell of the tiled tree, so the
//! runtime should take floating geometry from [`Layout::floating`] and tiling from the
//! rest (see [`Layout::panes`], which yields every pane exactly once).
//!
//! The checksum covers every byte after the `CSUM,` prefix, floating part included
//! (verified against tmux 3.3a, 3.5a and 3.7c output).
//!
//! tmux's own parser also takes a leaf without a pane id (`WxH,X,Y`), which tmux prints
//! only for a cell that has no pane; muxlink needs the id, so such a leaf is a
//! [`LayoutError::Syntax`] error.
//!
//! Only the canonical form tmux prints is accepted (no leading zeros, no spaces, lowercase
//! checksum), which is what makes printing byte-identical: `print(parse(s)) == s` for every
//! `s` that parses. Nesting depth and node count are bounded ([`MAX_DEPTH`], [`MAX_NODES`]),
//! so hostile input cannot exhaust the stack or memory; malformed input is an error, never a
//! panic.
//!
//! Sizes are bounded as tmux bounds them: no width, height or offset above [`MAX_SIZE`]
//! (tmux's `WINDOW_MAXIMUM`, which every resize path clamps to), and the panes together
//! cover at most [`MAX_AREA`] cells. A layout beyond either is refused before anything is
//! allocated for it, so a forged `%layout-change` cannot make a client size grids by it.

use std::fmt;

use crate::ids::PaneId;

/// Deepest nesting of splits accepted (the root is depth 1).
pub const MAX_DEPTH: usize = 64;
/// Most nodes (leaves and splits, tiled and floating together) accepted in one layout.
/// tmux prints a layout into an 8 KiB buffer (`layout_dump`, 3.2a to 3.7c), which holds
/// fewer than 1,000 nodes.
pub const MAX_NODES: usize = 4096;
/// Largest width, height or offset accepted: tmux's `WINDOW_MAXIMUM` (`tmux.h`, 3.2a to
/// 3.7c). `new-session -x 20000` gives a 10000-column window; `refresh-client -C` and
/// `resize-window` refuse more.
pub const MAX_SIZE: u32 = 10_000;
/// Most cells all panes of one layout may cover, summed over every pane cell of the tiled
/// tree and of the floating list: twice the largest window. Tiled panes share the window
/// (at most `MAX_SIZE²` cells); tmux 3.7 lists a floating pane both in the tree and in
/// `<...>`.
pub const MAX_AREA: u64 = 2 * (MAX_SIZE as u64) * (MAX_SIZE as u64);

/// Why a layout string was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    /// The checksum in the string does not match the one computed over the rest.
    #[error("layout checksum mismatch: string says {expected:04x}, computed {computed:04x}")]
    Checksum {
        /// The checksum written in the string.
        expected: u16,
        /// The checksum computed over the bytes after `CSUM,`.
        computed: u16,
    },
    /// The string does not start with 4 lowercase hex digits and a comma.
    #[error("layout has no valid checksum prefix")]
    BadChecksumPrefix,
    /// Something other than what the grammar allows at byte `offset`.
    #[error("malformed layout at byte {offset}: expected {expected}")]
    Syntax {
        /// Byte offset into the whole string.
        offset: usize,
        /// What the parser wanted there.
        expected: &'static str,
    },
    /// A number does not fit in `u32`, or has leading zeros (not what tmux prints).
    #[error("bad number in layout at byte {offset}")]
    Number {
        /// Byte offset of the number's first digit.
        offset: usize,
    },
    /// Splits nested deeper than [`MAX_DEPTH`].
    #[error("layout nested deeper than {MAX_DEPTH}")]
    TooDeep,
    /// More than [`MAX_NODES`] nodes.
    #[error("layout has more than {MAX_NODES} nodes")]
    TooManyNodes,
    /// A width, height or offset above [`MAX_SIZE`].
    #[error("layout size {value} at byte {offset} exceeds tmux's maximum {MAX_SIZE}")]
    TooLarge {
        /// Byte offset of the number.
        offset: usize,
        /// The number.
        value: u32,
    },
    /// The panes together cover more than [`MAX_AREA`] cells.
    #[error("layout panes cover more than {MAX_AREA} cells")]
    TooMuchArea,
    /// Bytes left over after a complete layout.
    #[error("trailing bytes after layout at byte {offset}")]
    Trailing {
        /// Byte offset of the first extra byte.
        offset: usize,
    },
}

/// A parsed layout string.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Layout {
    /// The checksum as written in the string (equal to the computed one after
    /// [`Layout::parse`]; may differ after [`Layout::parse_unchecked`]).
    pub checksum: u16,
    /// The tiled tree.
    pub root: LayoutNode,
    /// Floating panes (tmux 3.7+, the `<...>` part), in the order tmux printed them.
    /// Empty when the string has no `<...>` part.
    pub floating: Vec<LayoutNode>,
}

/// One cell of a layout: a pane or a split, with its geometry in cells.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LayoutNode {
    /// Width in columns.
    pub cols: u32,
    /// Height in rows.
    pub rows: u32,
    /// Column offset from the window's left edge.
    pub x: u32,
    /// Row offset from the window's top edge.
    pub y: u32,
    /// What the cell holds.
    pub kind: LayoutKind,
}

/// What a [`LayoutNode`] holds.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LayoutKind {
    /// A pane.
    Pane(PaneId),
    /// Children side by side, `{...}`.
    LeftRight(Vec<LayoutNode>),
    /// Children stacked, `[...]`.
    TopBottom(Vec<LayoutNode>),
}

/// What [`Layout::validate`] counted in a layout it accepted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct LayoutSummary {
    /// Nodes (leaves and splits, tiled and floating).
    pub nodes: usize,
    /// Pane cells (leaves), a floating pane counted in the tree and in `<...>`.
    pub pane_cells: usize,
    /// Cells covered by those pane cells, summed (at most [`MAX_AREA`]).
    pub area: u64,
}

/// A pane's place in a layout, as yielded by [`Layout::panes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PaneGeometry {
    /// The pane.
    pub pane: PaneId,
    /// Width in columns.
    pub cols: u32,
    /// Height in rows.
    pub rows: u32,
    /// Column offset.
    pub x: u32,
    /// Row offset.
    pub y: u32,
    /// Whether the pane is floating (listed in the `<...>` part).
    pub floating: bool,
}

/// tmux's `layout_checksum`: for each byte, rotate the 16-bit sum right by one, then add
/// the byte. Computed over the layout text after the `CSUM,` prefix.
///
/// tmux adds a C `char`, which is signed on most platforms; layout text is ASCII, where
/// that makes no difference. Bytes >= 0x80 are added here as unsigned.
pub fn layout_checksum(bytes: &[u8]) -> u16 {
    bytes.iter().fold(0u16, |csum, &b| {
        let csum = csum.rotate_right(1);
        csum.wrapping_add(u16::from(b))
    })
}

impl Layout {
    /// Checks a full layout string as [`Layout::parse`] does (syntax, checksum, bounds)
    /// without building the tree: allocates nothing. One pass over the bytes.
    pub fn validate(bytes: &[u8]) -> Result<LayoutSummary, LayoutError> {
        let checksum = checksum_prefix(bytes)?;
        let mut p = TreeParser::new(bytes, 5, false);
        p.node(1)?;
        if p.peek() == Some(b'<') {
            p.pos += 1;
            loop {
                p.node(1)?;
                match p.peek() {
                    Some(b',') => p.pos += 1,
                    Some(b'>') => {
                        p.pos += 1;
                        break;
                    }
                    _ => return Err(p.syntax("',' or '>'")),
                }
            }
        }
        if p.pos != bytes.len() {
            return Err(LayoutError::Trailing { offset: p.pos });
        }
        let computed = layout_checksum(&bytes[5..]);
        if computed != checksum {
            return Err(LayoutError::Checksum {
                expected: checksum,
                computed,
            });
        }
        Ok(p.summary)
    }

    /// Parses a full layout string (`CSUM,` included) and verifies its checksum.
    ///
    /// Allocates one `Vec` per split and one for the floating list, only for a layout within
    /// the bounds (checked as the bytes are read). Never panics.
    pub fn parse(bytes: &[u8]) -> Result<Layout, LayoutError> {
        let layout = Self::parse_unchecked(bytes)?;
        let computed = layout_checksum(&bytes[5..]);
        if computed != layout.checksum {
            return Err(LayoutError::Checksum {
                expected: layout.checksum,
                computed,
            });
        }
        Ok(layout)
    }

    /// Parses like [`Layout::parse`] but does not compare the checksum (it must still be
    /// 4 lowercase hex digits). [`Layout::checksum`] keeps the value written in the string.
    pub fn parse_unchecked(bytes: &[u8]) -> Result<Layout, LayoutError> {
        let checksum = checksum_prefix(bytes)?;
        let mut p = TreeParser::new(bytes, 5, true);
        let root = p.node(1)?;
        let mut floating = Vec::new();
        if p.peek() == Some(b'<') {
            p.pos += 1;
            loop {
                floating.push(p.node(1)?);
                match p.peek() {
                    Some(b',') => p.pos += 1,
                    Some(b'>') => {
                        p.pos += 1;
                        break;
                    }
                    _ => return Err(p.syntax("',' or '>'")),
                }
            }
        }
        if p.pos != bytes.len() {
            return Err(LayoutError::Trailing { offset: p.pos });
        }
        Ok(Layout {
            checksum,
            root,
            floating,
        })
    }

    /// Parses only a tree without the `CSUM,` prefix and without a floating part
    /// (e.g. a hand-written layout body).
    pub fn parse_tree(bytes: &[u8]) -> Result<LayoutNode, LayoutError> {
        let mut p = TreeParser::new(bytes, 0, true);
        let node = p.node(1)?;
        if p.pos != bytes.len() {
            return Err(LayoutError::Trailing { offset: p.pos });
        }
        Ok(node)
    }

    /// Builds a layout from a tree and floating list, computing the checksum tmux would.
    pub fn new(root: LayoutNode, floating: Vec<LayoutNode>) -> Layout {
        let mut l = Layout {
            checksum: 0,
            root,
            floating,
        };
        let mut body = Vec::new();
        l.write_body(&mut body);
        l.checksum = layout_checksum(&body);
        l
    }

    /// The layout text after `CSUM,` (what the checksum covers).
    pub fn body_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_body(&mut out);
        out
    }

    fn write_body(&self, out: &mut Vec<u8>) {
        self.root.write_to(out);
        if !self.floating.is_empty() {
            out.push(b'<');
            for (i, n) in self.floating.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                n.write_to(out);
            }
            out.push(b'>');
        }
    }

    /// The whole string as tmux prints it: `CSUM,` then the body. The checksum printed is
    /// [`Layout::checksum`] (not recomputed), so a parsed layout prints back byte-identical.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        push_hex4(&mut out, self.checksum);
        out.push(b',');
        self.write_body(&mut out);
        out
    }

    /// The layout's width (the root's columns).
    pub fn cols(&self) -> u32 {
        self.root.cols
    }

    /// The layout's height (the root's rows).
    pub fn rows(&self) -> u32 {
        self.root.rows
    }

    /// Every pane once, with geometry: first the tiled panes in tree order (left to right,
    /// top to bottom, as tmux lists them), then the floating panes in `<...>` order. A pane
    /// that tmux lists both in the tree and in `<...>` is yielded once, as floating, with
    /// the floating geometry. Allocates the result.
    pub fn panes(&self) -> Vec<PaneGeometry> {
        // Sorted, so that a layout of thousands of panes costs n log n, not n².
        let mut floating_ids: Vec<PaneId> =
            self.floating.iter().flat_map(|n| n.pane_ids()).collect();
        floating_ids.sort_unstable();
        let mut out = Vec::new();
        self.root.for_each_pane(&mut |n, id| {
            if floating_ids.binary_search(&id).is_err() {
                out.push(n.geometry(id, false));
            }
        });
        for f in &self.floating {
            f.for_each_pane(&mut |n, id| out.push(n.geometry(id, true)));
        }
        out
    }

    /// The node of `pane`: its floating cell if it is floating, else its tiled cell.
    pub fn find_pane(&self, pane: PaneId) -> Option<&LayoutNode> {
        self.floating
            .iter()
            .find_map(|n| n.find_pane(pane))
            .or_else(|| self.root.find_pane(pane))
    }

    /// Whether `pane` appears anywhere in the layout.
    pub fn contains(&self, pane: PaneId) -> bool {
        self.find_pane(pane).is_some()
    }

    /// Number of distinct panes (a floating pane listed twice counts once).
    pub fn pane_count(&self) -> usize {
        self.panes().len()
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The body is ASCII by construction.
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}

impl LayoutNode {
    /// A pane leaf.
    pub fn pane(cols: u32, rows: u32, x: u32, y: u32, pane: PaneId) -> LayoutNode {
        LayoutNode {
            cols,
            rows,
            x,
            y,
            kind: LayoutKind::Pane(pane),
        }
    }

    /// The pane id if this node is a leaf.
    pub fn pane_id(&self) -> Option<PaneId> {
        match self.kind {
            LayoutKind::Pane(p) => Some(p),
            _ => None,
        }
    }

    /// The children of a split (empty for a leaf).
    pub fn children(&self) -> &[LayoutNode] {
        match &self.kind {
            LayoutKind::Pane(_) => &[],
            LayoutKind::LeftRight(c) | LayoutKind::TopBottom(c) => c,
        }
    }

    /// Every pane id under this node, in order. Allocates the result.
    pub fn pane_ids(&self) -> Vec<PaneId> {
        let mut v = Vec::new();
        self.for_each_pane(&mut |_, id| v.push(id));
        v
    }

    /// The leaf for `pane` under this node.
    pub fn find_pane(&self, pane: PaneId) -> Option<&LayoutNode> {
        match &self.kind {
            LayoutKind::Pane(p) if *p == pane => Some(self),
            LayoutKind::Pane(_) => None,
            LayoutKind::LeftRight(c) | LayoutKind::TopBottom(c) => {
                c.iter().find_map(|n| n.find_pane(pane))
            }
        }
    }

    /// Calls `f` for every leaf under this node, in order. Recursion depth is that of the
    /// tree, which [`Layout::parse`] bounds by [`MAX_DEPTH`].
    pub fn for_each_pane(&self, f: &mut impl FnMut(&LayoutNode, PaneId)) {
        match &self.kind {
            LayoutKind::Pane(p) => f(self, *p),
            LayoutKind::LeftRight(c) | LayoutKind::TopBottom(c) => {
                for n in c {
                    n.for_each_pane(f);
                }
            }
        }
    }

    fn geometry(&self, pane: PaneId, floating: bool) -> PaneGeometry {
        PaneGeometry {
            pane,
            cols: self.cols,
            rows: self.rows,
            x: self.x,
            y: self.y,
            floating,
        }
    }

    /// Appends this node in tmux's syntax to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        push_u32(out, self.cols);
        out.push(b'x');
        push_u32(out, self.rows);
        out.push(b',');
        push_u32(out, self.x);
        out.push(b',');
        push_u32(out, self.y);
        match &self.kind {
            LayoutKind::Pane(p) => {
                out.push(b',');
                push_u32(out, p.0);
            }
            LayoutKind::LeftRight(c) => write_children(out, b'{', c, b'}'),
            LayoutKind::TopBottom(c) => write_children(out, b'[', c, b']'),
        }
    }
}

fn write_children(out: &mut Vec<u8>, open: u8, children: &[LayoutNode], close: u8) {
    out.push(open);
    for (i, n) in children.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        n.write_to(out);
    }
    out.push(close);
}

fn push_u32(out: &mut Vec<u8>, v: u32) {
    let mut buf = [0u8; 10];
    let mut i = buf.len();
    let mut v = v;
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

fn push_hex4(out: &mut Vec<u8>, v: u16) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for shift in [12u16, 8, 4, 0] {
        out.push(HEX[usize::from((v >> shift) & 0xf)]);
    }
}

/// The 4 lowercase hex digits and comma that start a layout string.
fn checksum_prefix(bytes: &[u8]) -> Result<u16, LayoutError> {
    if bytes.len() < 5 || bytes[4] != b',' {
        return Err(LayoutError::BadChecksumPrefix);
    }
    let mut checksum: u16 = 0;
    for &b in &bytes[..4] {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            _ => return Err(LayoutError::BadChecksumPrefix),
        };
        checksum = (checksum << 4) | u16::from(d);
    }
    Ok(checksum)
}

struct TreeParser<'a> {
    s: &'a [u8],
    pos: usize,
    /// Build the tree (else only check it: splits get no children, nothing is allocated).
    build: bool,
    summary: LayoutSummary,
}

impl<'a> TreeParser<'a> {
    fn new(s: &'a [u8], pos: usize, build: bool) -> Self {
        TreeParser {
            s,
            pos,
            build,
            summary: LayoutSummary::default(),
        }
    }

    /// A [`TreeParser::number`] no larger than [`MAX_SIZE`].
    fn size(&mut self) -> Result<u32, LayoutError> {
        let offset = self.pos;
        let value = self.number()?;
        if value > MAX_SIZE {
            return Err(LayoutError::TooLarge { offset, value });
        }
        Ok(value)
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn syntax(&self, expected: &'static str) -> LayoutError {
        LayoutError::Syntax {
            offset: self.pos,
            expected,
        }
    }

    fn expect(&mut self, b: u8, expected: &'static str) -> Result<(), LayoutError> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.syntax(expected))
        }
    }

    /// A canonical decimal `u32`: digits, no leading zero unless the number is 0.
    fn number(&mut self) -> Result<u32, LayoutError> {
        let start = self.pos;
        let mut v: u32 = 0;
        while let Some(d @ b'0'..=b'9') = self.peek() {
            v = v
                .checked_mul(10)
                .and_then(|v| v.checked_add(u32::from(d - b'0')))
                .ok_or(LayoutError::Number { offset: start })?;
            self.pos += 1;
        }
        let len = self.pos - start;
        if len == 0 {
            return Err(LayoutError::Syntax {
                offset: start,
                expected: "a number",
            });
        }
        if len > 1 && self.s[start] == b'0' {
            return Err(LayoutError::Number { offset: start });
        }
        Ok(v)
    }

    fn node(&mut self, depth: usize) -> Result<LayoutNode, LayoutError> {
        if depth > MAX_DEPTH {
            return Err(LayoutError::TooDeep);
        }
        self.summary.nodes += 1;
        if self.summary.nodes > MAX_NODES {
            return Err(LayoutError::TooManyNodes);
        }
        let cols = self.size()?;
        self.expect(b'x', "'x'")?;
        let rows = self.size()?;
        self.expect(b',', "','")?;
        let x = self.size()?;
        self.expect(b',', "','")?;
        let y = self.size()?;
        let kind = match self.peek() {
            Some(b',') => {
                self.pos += 1;
                let id = PaneId(self.number()?);
                self.summary.pane_cells += 1;
                self.summary.area += u64::from(cols) * u64::from(rows);
                if self.summary.area > MAX_AREA {
                    return Err(LayoutError::TooMuchArea);
                }
                LayoutKind::Pane(id)
            }
            Some(b'{') => {
                self.pos += 1;
                LayoutKind::LeftRight(self.children(depth, b'}')?)
            }
            Some(b'[') => {
                self.pos += 1;
                LayoutKind::TopBottom(self.children(depth, b']')?)
            }
            _ => return Err(self.syntax("',ID', '{' or '['")),
        };
        Ok(LayoutNode {
            cols,
            rows,
            x,
            y,
            kind,
        })
    }

    fn children(&mut self, depth: usize, close: u8) -> Result<Vec<LayoutNode>, LayoutError> {
        let mut v = Vec::new();
        loop {
            let child = self.node(depth + 1)?;
            if self.build {
                v.push(child);
            }
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(c) if c == close => {
                    self.pos += 1;
                    return Ok(v);
                }
                _ => {
                    return Err(self.syntax(if close == b'}' {
                        "',' or '}'"
                    } else {
                        "',' or ']'"
                    }))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPLITS: &[u8] = b"d67e,80x24,0,0{40x24,0,0,0,39x24,41,0[39x12,41,0,1,39x11,41,13,2]}";
    const FLOATING: &[u8] =
        b"b306,80x24,0,0[80x12,0,0,0,80x11,0,13,1,40x6,4,2,2,40x6,8,4,3]<40x6,8,4,3,40x6,4,2,2>";

    #[test]
    fn checksum_covers_everything_after_the_prefix() {
        // tmux 3.5a and 3.7c wrote these; the floating part is inside the checksum.
        assert_eq!(layout_checksum(&SPLITS[5..]), 0xd67e);
        assert_eq!(layout_checksum(&FLOATING[5..]), 0xb306);
        let tiled_only = &FLOATING[5..FLOATING.iter().position(|&b| b == b'<').unwrap()];
        assert_ne!(layout_checksum(tiled_only), 0xb306);
        assert_eq!(layout_checksum(b""), 0);
        // Rotate right then add: "ab" = ((0 >> 1) + 'a') rotated, + 'b'.
        let a = u16::from(b'a');
        assert_eq!(layout_checksum(b"ab"), a.rotate_right(1) + u16::from(b'b'));
    }

    #[test]
    fn parses_nested_tree() {
        let l = Layout::parse(SPLITS).unwrap();
        assert_eq!(l.checksum, 0xd67e);
        assert_eq!((l.cols(), l.rows()), (80, 24));
        let LayoutKind::LeftRight(c) = &l.root.kind else {
            panic!("root is left-right")
        };
        assert_eq!(c.len(), 2);
        assert_eq!(c[0], LayoutNode::pane(40, 24, 0, 0, PaneId(0)));
        assert!(matches!(c[1].kind, LayoutKind::TopBottom(ref v) if v.len() == 2));
        assert_eq!(
            l.find_pane(PaneId(2)),
            Some(&LayoutNode::pane(39, 11, 41, 13, PaneId(2)))
        );
        assert_eq!(l.find_pane(PaneId(9)), None);
        assert_eq!(l.to_bytes(), SPLITS);
        assert_eq!(l.to_string().as_bytes(), SPLITS);
    }

    #[test]
    fn floating_panes_are_listed_once() {
        let l = Layout::parse(FLOATING).unwrap();
        assert_eq!(l.floating.len(), 2);
        let panes = l.panes();
        let ids: Vec<u32> = panes.iter().map(|g| g.pane.0).collect();
        assert_eq!(ids, [0, 1, 3, 2]);
        assert!(panes[2].floating && panes[3].floating && !panes[0].floating);
        assert_eq!((panes[2].x, panes[2].y), (8, 4));
        assert_eq!(l.pane_count(), 4);
        assert_eq!(l.to_bytes(), FLOATING);
    }

    #[test]
    fn checksum_mismatch_is_an_error() {
        let mut bad = SPLITS.to_vec();
        bad[3] = b'f';
        assert_eq!(
            Layout::parse(&bad),
            Err(LayoutError::Checksum {
                expected: 0xd67f,
                computed: 0xd67e
            })
        );
        let l = Layout::parse_unchecked(&bad).unwrap();
        assert_eq!(l.checksum, 0xd67f);
        assert_eq!(l.to_bytes(), bad);
    }

    #[test]
    fn new_computes_tmux_checksum() {
        let l = Layout::new(LayoutNode::pane(80, 24, 0, 0, PaneId(5)), vec![]);
        // tmux 3.3a printed `b262,80x24,0,0,5` for a single pane %5.
        assert_eq!(l.to_bytes(), b"b262,80x24,0,0,5");
    }

    #[test]
    fn malformed_inputs_are_errors() {
        let cases: &[&[u8]] = &[
            b"",
            b"d67e",
            b"d67e,",
            b"D67E,80x24,0,0,1",
            b"zzzz,80x24,0,0,1",
            b"0000,80x24,0,0",
            b"0000,80x24,0,0,",
            b"0000,80x24,0,0,1,",
            b"0000,80x24,0,0{}",
            b"0000,80x24,0,0{1x1,0,0,1",
            b"0000,80x24,0,0{1x1,0,0,1]",
            b"0000,80x24,0,0[1x1,0,0,1}",
            b"0000,80x24,0,0,1<>",
            b"0000,80x24,0,0,1<1x1,0,0,2",
            b"0000,80x24,0,0,1 ",
            b"0000,080x24,0,0,1",
            b"0000,80x24,0,0,4294967296",
            b"0000,-1x24,0,0,1",
            b"0000,x24,0,0,1",
        ];
        for c in cases {
            assert!(
                Layout::parse_unchecked(c).is_err(),
                "{:?} should fail",
                String::from_utf8_lossy(c)
            );
        }
        assert_eq!(
            Layout::parse_unchecked(b"0000,80x24,0,0,4294967295")
                .unwrap()
                .root
                .pane_id(),
            Some(PaneId(u32::MAX))
        );
    }

    #[test]
    fn depth_and_size_are_bounded() {
        // 100 000 nested splits: must be rejected without recursing that deep.
        let mut s = b"0000,".to_vec();
        for _ in 0..100_000 {
            s.extend_from_slice(b"1x1,0,0{");
        }
        assert_eq!(Layout::parse_unchecked(&s), Err(LayoutError::TooDeep));

        // Exactly MAX_DEPTH levels are fine.
        let mut body = Vec::new();
        for _ in 0..MAX_DEPTH - 1 {
            body.extend_from_slice(b"1x1,0,0{");
        }
        body.extend_from_slice(b"1x1,0,0,7");
        body.extend_from_slice(&[b'}'; MAX_DEPTH - 1]);
        let l = Layout::new(Layout::parse_tree(&body).unwrap(), vec![]);
        assert_eq!(Layout::parse(&l.to_bytes()).unwrap(), l);

        let mut wide = b"0000,1x1,0,0{".to_vec();
        for i in 0..MAX_NODES {
            if i > 0 {
                wide.push(b',');
            }
            wide.extend_from_slice(format!("1x1,0,0,{i}").as_bytes());
        }
        wide.push(b'}');
        assert_eq!(
            Layout::parse_unchecked(&wide),
            Err(LayoutError::TooManyNodes)
        );
    }

    #[test]
    fn sizes_beyond_tmux_are_refused_before_allocating() {
        // tmux's own largest window is fine, at any offset up to the maximum.
        let max = Layout::new(
            LayoutNode::pane(MAX_SIZE, MAX_SIZE, 0, 0, PaneId(1)),
            vec![],
        );
        assert_eq!(Layout::parse(&max.to_bytes()), Ok(max.clone()));
        let far = Layout::new(
            LayoutNode::pane(1, 1, MAX_SIZE, MAX_SIZE, PaneId(1)),
            vec![],
        );
        assert!(Layout::parse(&far.to_bytes()).is_ok());
        // One more is refused, wherever it is.
        for (cols, rows, x, y) in [
            (65535, 65535, 0, 0),
            (MAX_SIZE + 1, 1, 0, 0),
            (1, MAX_SIZE + 1, 0, 0),
            (1, 1, MAX_SIZE + 1, 0),
            (1, 1, 0, MAX_SIZE + 1),
        ] {
            let l = Layout::new(LayoutNode::pane(cols, rows, x, y, PaneId(0)), vec![]);
            let err = Layout::parse(&l.to_bytes()).unwrap_err();
            assert!(
                matches!(err, LayoutError::TooLarge { value, .. } if value > MAX_SIZE),
                "{err:?}"
            );
            assert_eq!(Layout::validate(&l.to_bytes()), Err(err));
        }
        // Inside a split and in the floating list too.
        let nested = b"0000,80x24,0,0{40x24,0,0,1,39x24,41,0[39x12,41,0,2,39x99999,41,13,3]}";
        assert!(matches!(
            Layout::parse_unchecked(nested),
            Err(LayoutError::TooLarge { value: 99999, .. })
        ));
        let floating = b"0000,80x24,0,0,1<20000x5,1,1,2>";
        assert!(matches!(
            Layout::parse_unchecked(floating),
            Err(LayoutError::TooLarge {
                offset: 17,
                value: 20000
            })
        ));
    }

    #[test]
    fn total_area_is_bounded() {
        // 4,000 panes of 1000x1000 in one layout (4e9 cells).
        let mut body = b"1000x1000,0,0{".to_vec();
        for i in 0..4000u32 {
            if i > 0 {
                body.push(b',');
            }
            body.extend_from_slice(format!("1000x1000,0,0,{i}").as_bytes());
        }
        body.push(b'}');
        let mut s = format!("{:04x},", layout_checksum(&body)).into_bytes();
        s.extend_from_slice(&body);
        assert_eq!(Layout::parse(&s), Err(LayoutError::TooMuchArea));
        assert_eq!(Layout::validate(&s), Err(LayoutError::TooMuchArea));
        // At the bound: two full-size panes (a floating one is listed twice).
        let l = Layout::new(
            LayoutNode::pane(MAX_SIZE, MAX_SIZE, 0, 0, PaneId(0)),
            vec![LayoutNode::pane(MAX_SIZE, MAX_SIZE, 0, 0, PaneId(0))],
        );
        assert_eq!(
            Layout::validate(&l.to_bytes()),
            Ok(LayoutSummary {
                nodes: 2,
                pane_cells: 2,
                area: MAX_AREA
            })
        );
        let over = Layout::new(
            l.root.clone(),
            vec![l.root.clone(), LayoutNode::pane(1, 1, 0, 0, PaneId(2))],
        );
        assert_eq!(
            Layout::parse(&over.to_bytes()),
            Err(LayoutError::TooMuchArea)
        );
    }

    #[test]
    fn validate_agrees_with_parse() {
        for s in [
            SPLITS,
            FLOATING,
            b"0000,80x24,0,0,1",
            b"d67e,80x24,0,0{40x24,0,0,0",
            b"",
            b"zzzz,1x1,0,0,1",
        ] {
            let parsed = Layout::parse(s);
            let checked = Layout::validate(s);
            assert_eq!(parsed.as_ref().err(), checked.as_ref().err(), "{s:?}");
            if let Ok(l) = parsed {
                let c = checked.unwrap();
                assert_eq!(c.pane_cells, l.root.pane_ids().len() + l.floating.len());
            }
        }
        assert_eq!(
            Layout::validate(SPLITS),
            Ok(LayoutSummary {
                nodes: 5,
                pane_cells: 3,
                area: 40 * 24 + 39 * 12 + 39 * 11
            })
        );
    }
}
