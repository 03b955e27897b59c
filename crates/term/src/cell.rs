//! The grid cell: 16 bytes, `#[repr(C)]`, readable from C without conversion.
//!
//! C view of the layout (little-endian; every field naturally aligned):
//!
//! ```c
//! typedef struct muxlink_cell {
//!     uint32_t ch;        /* Unicode scalar value, or (flags & EXTENDED) an index into the
//!                            terminal's combined-character table */
//!     uint32_t fg;        /* colour, see below */
//!     uint32_t bg;        /* colour, see below */
//!     uint16_t attrs;     /* bit 0 bold, 1 dim, 2 italic, 3 blink, 4 inverse, 5 hidden,
//!                            6 strikethrough, 7 overline, 8..10 underline style
//!                            (0 none, 1 single, 2 double, 3 curly, 4 dotted, 5 dashed),
//!                            11 DEC line-drawing charset (ch is the ASCII letter) */
//!     uint8_t  flags;     /* bit 0 WIDE (first cell of a character wider than 1: width 2,
//!                            or a tab cell (tmux 3.6+, ch '\t') as wide as the
//!                            WIDE_SPACER cells after it),
//!                            bit 1 WIDE_SPACER (a following cell; draw nothing),
//!                            bit 2 EXTENDED (ch indexes the combined table),
//!                            bit 3 CLEARED (erased or never written; a blank),
//!                            bit 4 TMUX_EXTENDED (tmux stores the cell out of line;
//!                            no effect on drawing),
//!                            bit 5 ZERO_WIDTH (a zero-width character in a column of
//!                            its own; tmux 3.4 .. 3.7c) */
//!     uint8_t  ul_color;  /* 0 = default underline colour, else index into the terminal's
//!                            underline-colour table */
//! } muxlink_cell; /* sizeof == 16 */
//! ```
//!
//! Colour encoding (`uint32_t`): the top byte is the kind, the low 24 bits the value:
//! `0x00000000` default; `0x010000NN` one of the 16 SGR colours (30..37 → 0..7, 90..97 → 8..15);
//! `0x020000NN` 256-colour index NN (set with `38;5;NN`); `0x03RRGGBB` RGB.

use bitflags::bitflags;

/// A colour as tmux stores it: default, one of the 16 SGR colours, a 256-palette index or RGB.
///
/// tmux keeps `31` and `38;5;1` apart (they capture differently), and so does this type.
#[repr(transparent)]
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Color(pub u32);

impl Color {
    /// The terminal's default colour (SGR 39 / 49 / 59).
    pub const DEFAULT: Color = Color(0);
    const KIND_ANSI: u32 = 0x0100_0000;
    const KIND_256: u32 = 0x0200_0000;
    const KIND_RGB: u32 = 0x0300_0000;

    /// One of the 16 SGR colours: 0..=7 from 30..37/40..47, 8..=15 from 90..97/100..107.
    pub const fn ansi(n: u8) -> Color {
        Color(Self::KIND_ANSI | (n & 15) as u32)
    }
    /// A 256-palette index, as set with `38;5;N`.
    pub const fn indexed(n: u8) -> Color {
        Color(Self::KIND_256 | n as u32)
    }
    /// A 24-bit colour.
    pub const fn rgb(r: u8, g: u8, b: u8) -> Color {
        Color(Self::KIND_RGB | (r as u32) << 16 | (g as u32) << 8 | b as u32)
    }
    /// Decodes the packed value.
    pub fn kind(self) -> ColorKind {
        let v = self.0 & 0x00ff_ffff;
        match self.0 & 0xff00_0000 {
            Self::KIND_ANSI => ColorKind::Ansi(v as u8),
            Self::KIND_256 => ColorKind::Indexed(v as u8),
            Self::KIND_RGB => ColorKind::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8),
            _ => ColorKind::Default,
        }
    }
    /// Whether this is the default colour.
    pub fn is_default(self) -> bool {
        self.0 == 0
    }
}

impl std::fmt::Debug for Color {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.kind().fmt(f)
    }
}

/// The decoded form of a [`Color`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ColorKind {
    /// Default colour.
    Default,
    /// SGR 30..37 / 90..97 family: 0..=15.
    Ansi(u8),
    /// `38;5;N` family.
    Indexed(u8),
    /// `38;2;R;G;B` family.
    Rgb(u8, u8, u8),
}

bitflags! {
    /// Cell attributes (SGR), 16 bits. Bits 8..=10 hold the underline style
    /// (see [`UnderlineStyle`]); use [`Attrs::underline`] to read it.
    #[repr(transparent)]
    #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
    pub struct Attrs: u16 {
        /// SGR 1.
        const BOLD = 1 << 0;
        /// SGR 2.
        const DIM = 1 << 1;
        /// SGR 3.
        const ITALIC = 1 << 2;
        /// SGR 5 / 6.
        const BLINK = 1 << 3;
        /// SGR 7.
        const INVERSE = 1 << 4;
        /// SGR 8.
        const HIDDEN = 1 << 5;
        /// SGR 9.
        const STRIKETHROUGH = 1 << 6;
        /// SGR 53.
        const OVERLINE = 1 << 7;
        /// Underline style bits (a 3-bit field, not independent flags).
        const UNDERLINE_MASK = 0b111 << 8;
        /// The cell was printed with the DEC special graphics set active; `ch` holds the
        /// ASCII letter (`q` is a horizontal line). Use [`Cell::display_char`] to draw it.
        const CHARSET = 1 << 11;
    }
}

/// Underline styles (SGR 4, 21, 4:0..4:5).
#[repr(u8)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum UnderlineStyle {
    /// No underline.
    None = 0,
    /// SGR 4 / 4:1.
    Single = 1,
    /// SGR 21 / 4:2.
    Double = 2,
    /// SGR 4:3.
    Curly = 3,
    /// SGR 4:4.
    Dotted = 4,
    /// SGR 4:5.
    Dashed = 5,
}

impl Attrs {
    /// The underline style held in bits 8..=10.
    pub fn underline(self) -> UnderlineStyle {
        match (self.bits() >> 8) & 7 {
            1 => UnderlineStyle::Single,
            2 => UnderlineStyle::Double,
            3 => UnderlineStyle::Curly,
            4 => UnderlineStyle::Dotted,
            5 => UnderlineStyle::Dashed,
            _ => UnderlineStyle::None,
        }
    }
    /// Replaces the underline style.
    pub fn set_underline(&mut self, style: UnderlineStyle) {
        *self = Attrs::from_bits_retain(
            (self.bits() & !Attrs::UNDERLINE_MASK.bits()) | ((style as u16) << 8),
        );
    }
}

bitflags! {
    /// Per-cell layout flags.
    #[repr(transparent)]
    #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
    pub struct CellFlags: u8 {
        /// First cell of a width-2 character, or of a tab cell (tmux 3.6+: `ch` is `'\t'`)
        /// as wide as the [`CellFlags::WIDE_SPACER`] cells that follow it.
        const WIDE = 1 << 0;
        /// Second cell of a width-2 character (tmux's padding cell): draw nothing.
        const WIDE_SPACER = 1 << 1;
        /// `ch` is an index into the terminal's combined-character table
        /// ([`crate::Terminal::combined`]): a base character plus combining marks.
        const EXTENDED = 1 << 2;
        /// Erased, or never written, and not written since (tmux's `GRID_FLAG_CLEARED`);
        /// draws as a blank. Which blanks carry it is deterministic (the same bytes give the
        /// same flags however `feed` calls split them) and follows tmux's storage.
        const CLEARED = 1 << 3;
        /// tmux keeps this cell in its line's extended-cell table (`GRID_FLAG_EXTENDED`):
        /// it holds, or held since it was last erased, something tmux cannot pack into a
        /// plain entry (a non-ASCII or wide character, a wide character's padding, an RGB
        /// colour, an underline colour, a style above tmux's first eight attributes).
        /// tmux never packs such a cell again until it is erased, and its no-change check
        /// never skips a write to it. No effect on drawing.
        const TMUX_EXTENDED = 1 << 4;
        /// A character of width 0 in a cell of its own (tmux 3.4 .. 3.7c write a
        /// zero-width character that no longer fits the cell before it this way): it
        /// takes a column on the grid but the cursor did not move past it, and nothing
        /// combines with it.
        const ZERO_WIDTH = 1 << 5;
    }
}

/// One grid cell. 16 bytes, `#[repr(C)]`; see the module docs for the C layout.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Cell {
    /// Unicode scalar, or a combined-table index when `flags` has [`CellFlags::EXTENDED`].
    pub ch: u32,
    /// Foreground colour.
    pub fg: Color,
    /// Background colour.
    pub bg: Color,
    /// SGR attributes.
    pub attrs: Attrs,
    /// Wide / spacer / extended flags.
    pub flags: CellFlags,
    /// Underline colour: 0 = default, else an index into
    /// [`crate::Terminal::underline_color`]'s table.
    pub ul_color: u8,
}

// The C layout in the module docs, which hosts read without conversion and `fill.rs`
// writes as one 16-byte image: a change here is an ABI change.
const _: () = {
    use std::mem::{align_of, offset_of, size_of};
    assert!(size_of::<Cell>() == 16);
    assert!(align_of::<Cell>() == 4);
    assert!(offset_of!(Cell, ch) == 0);
    assert!(offset_of!(Cell, fg) == 4);
    assert!(offset_of!(Cell, bg) == 8);
    assert!(offset_of!(Cell, attrs) == 12);
    assert!(offset_of!(Cell, flags) == 14);
    assert!(offset_of!(Cell, ul_color) == 15);
    assert!(size_of::<Color>() == 4 && size_of::<Attrs>() == 2 && size_of::<CellFlags>() == 1);
};

impl Default for Cell {
    fn default() -> Self {
        Cell::BLANK
    }
}

impl Cell {
    /// An empty cell: a space with default colours and no attributes.
    pub const BLANK: Cell = Cell {
        ch: b' ' as u32,
        fg: Color::DEFAULT,
        bg: Color::DEFAULT,
        attrs: Attrs::empty(),
        flags: CellFlags::empty(),
        ul_color: 0,
    };

    /// A blank cell with a background colour (what erase operations leave), flagged
    /// [`CellFlags::CLEARED`]. tmux stores an RGB background out of line
    /// ([`CellFlags::TMUX_EXTENDED`]).
    pub const fn blank_with_bg(bg: Color) -> Cell {
        let flags = if bg.0 & 0xff00_0000 == Color::KIND_RGB {
            CellFlags::CLEARED.union(CellFlags::TMUX_EXTENDED)
        } else {
            CellFlags::CLEARED
        };
        Cell {
            ch: b' ' as u32,
            fg: Color::DEFAULT,
            bg,
            attrs: Attrs::empty(),
            flags,
            ul_color: 0,
        }
    }

    /// tmux's `grid_need_extended_cell` for this content: whether tmux must store it out
    /// of line (256-palette colours, the DEC charset and the first eight attributes pack).
    #[inline]
    pub(crate) fn needs_tmux_extended(&self) -> bool {
        self.ch >= 0x80
            || self.flags.intersects(
                CellFlags::EXTENDED
                    | CellFlags::WIDE
                    | CellFlags::WIDE_SPACER
                    | CellFlags::TMUX_EXTENDED,
            )
            || self.style_needs_tmux_extended()
    }

    /// The part of [`Cell::needs_tmux_extended`] that depends on the style alone: an RGB
    /// colour, an underline colour, or an attribute past tmux's first eight (strikethrough,
    /// overline, an underline style other than single).
    #[inline]
    pub(crate) fn style_needs_tmux_extended(&self) -> bool {
        // Branch-free: this runs once per run of printed text.
        let underline = self.attrs.bits() & Attrs::UNDERLINE_MASK.bits();
        (self.fg.0 & 0xff00_0000 == Color::KIND_RGB)
            | (self.bg.0 & 0xff00_0000 == Color::KIND_RGB)
            | (self.ul_color != 0)
            | self
                .attrs
                .intersects(Attrs::STRIKETHROUGH | Attrs::OVERLINE)
            | (underline > (UnderlineStyle::Single as u16) << 8)
    }

    /// Whether this is the second half of a wide character.
    pub fn is_spacer(&self) -> bool {
        self.flags.contains(CellFlags::WIDE_SPACER)
    }

    /// Whether this cell's style (colours, attributes) equals `other`'s.
    pub fn same_style(&self, other: &Cell) -> bool {
        self.fg == other.fg
            && self.bg == other.bg
            && self.attrs == other.attrs
            && self.ul_color == other.ul_color
    }

    /// The character to draw for a non-extended cell: DEC line-drawing letters are mapped to
    /// their Unicode box-drawing equivalents (as tmux does when it draws to a UTF-8 terminal).
    pub fn display_char(&self) -> char {
        let c = char::from_u32(self.ch).unwrap_or(' ');
        if self.attrs.contains(Attrs::CHARSET) {
            acs_to_unicode(c)
        } else {
            c
        }
    }
}

/// Maps a DEC special graphics letter to the Unicode character a UTF-8 terminal shows.
pub fn acs_to_unicode(c: char) -> char {
    match c {
        '`' => '◆',
        'a' => '▒',
        'b' => '␉',
        'c' => '␌',
        'd' => '␍',
        'e' => '␊',
        'f' => '°',
        'g' => '±',
        'h' => '␤',
        'i' => '␋',
        'j' => '┘',
        'k' => '┐',
        'l' => '┌',
        'm' => '└',
        'n' => '┼',
        'o' => '⎺',
        'p' => '⎻',
        'q' => '─',
        'r' => '⎼',
        's' => '⎽',
        't' => '├',
        'u' => '┤',
        'v' => '┴',
        'w' => '┬',
        'x' => '│',
        'y' => '≤',
        'z' => '≥',
        '{' => 'π',
        '|' => '≠',
        '}' => '£',
        '~' => '·',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_is_16_bytes() {
        assert_eq!(std::mem::size_of::<Cell>(), 16);
        assert_eq!(std::mem::align_of::<Cell>(), 4);
    }

    #[test]
    fn colour_round_trip() {
        assert_eq!(Color::rgb(1, 2, 3).kind(), ColorKind::Rgb(1, 2, 3));
        assert_eq!(Color::indexed(200).kind(), ColorKind::Indexed(200));
        assert_eq!(Color::ansi(9).kind(), ColorKind::Ansi(9));
        assert_eq!(Color::DEFAULT.kind(), ColorKind::Default);
        assert_ne!(Color::ansi(1), Color::indexed(1));
    }

    #[test]
    fn underline_field() {
        let mut a = Attrs::BOLD;
        a.set_underline(UnderlineStyle::Curly);
        assert_eq!(a.underline(), UnderlineStyle::Curly);
        assert!(a.contains(Attrs::BOLD));
        a.set_underline(UnderlineStyle::None);
        assert_eq!(a, Attrs::BOLD);
    }
}
