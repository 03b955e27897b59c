//! Frames and render state: a pane's dirty rows, cursor, modes and title, with its cells read
//! in place (`#[repr(C)]`, no copy).

use std::mem::{offset_of, size_of, MaybeUninit};

use muxlink_runtime::{Cell, Frame, Terminal};

use crate::boundary::{guard, required, FfiResult};
use crate::event::MUXLINK_NONE;
use crate::result::muxlink_result;
use crate::sized;
use crate::{muxlink_bool_t, MUXLINK_ABI_VERSION};

/// One grid cell, 16 bytes, exactly as muxlink stores it.
///
/// - `ch`: a Unicode scalar value; with `MUXLINK_CELL_EXTENDED` in `flags` an index for
///   `muxlink_frame_combined` (a base character and its combining marks).
/// - `fg`, `bg`: colours; the top byte is the kind: `0x00000000` default, `0x010000NN` one of
///   the 16 SGR colours (30..37 give 0..7, 90..97 give 8..15), `0x020000NN` 256-colour index
///   NN, `0x03RRGGBB` RGB.
/// - `attrs`: bit 0 bold, 1 dim, 2 italic, 3 blink, 4 inverse, 5 hidden, 6 strikethrough,
///   7 overline, 8..10 underline style (0 none, 1 single, 2 double, 3 curly, 4 dotted,
///   5 dashed), 11 DEC line drawing (`ch` is the ASCII letter).
/// - `flags`: the `MUXLINK_CELL_*` bits.
/// - `ul_color`: 0 for the default underline colour, else an index into the pane's underline
///   colour table.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct muxlink_cell {
    /// Character (see the struct's documentation).
    pub ch: u32,
    /// Foreground colour.
    pub fg: u32,
    /// Background colour.
    pub bg: u32,
    /// SGR attributes.
    pub attrs: u16,
    /// `MUXLINK_CELL_*` flags.
    pub flags: u8,
    /// Underline colour index.
    pub ul_color: u8,
}

/// First cell of a width-2 character.
pub const MUXLINK_CELL_WIDE: u8 = 1 << 0;
/// Second cell of a width-2 character: draw nothing.
pub const MUXLINK_CELL_WIDE_SPACER: u8 = 1 << 1;
/// `ch` is an index for `muxlink_frame_combined`.
pub const MUXLINK_CELL_EXTENDED: u8 = 1 << 2;
/// Erased or never written: a blank.
pub const MUXLINK_CELL_CLEARED: u8 = 1 << 3;

// The C struct is muxlink-term's Cell, field for field: rows are handed out without a copy.
const _: () = {
    assert!(size_of::<muxlink_cell>() == size_of::<Cell>());
    assert!(std::mem::align_of::<muxlink_cell>() == std::mem::align_of::<Cell>());
    assert!(offset_of!(muxlink_cell, ch) == offset_of!(Cell, ch));
    assert!(offset_of!(muxlink_cell, fg) == offset_of!(Cell, fg));
    assert!(offset_of!(muxlink_cell, bg) == offset_of!(Cell, bg));
    assert!(offset_of!(muxlink_cell, attrs) == offset_of!(Cell, attrs));
    assert!(offset_of!(muxlink_cell, flags) == offset_of!(Cell, flags));
    assert!(offset_of!(muxlink_cell, ul_color) == offset_of!(Cell, ul_color));
};

/// The cursor is shown (DECTCEM).
pub const MUXLINK_MODE_CURSOR_VISIBLE: u32 = 1 << 0;
/// Application cursor keys (DECCKM).
pub const MUXLINK_MODE_APP_CURSOR: u32 = 1 << 1;
/// Application keypad.
pub const MUXLINK_MODE_APP_KEYPAD: u32 = 1 << 2;
/// Bracketed paste (2004).
pub const MUXLINK_MODE_BRACKETED_PASTE: u32 = 1 << 3;
/// Mouse press/release reporting (1000).
pub const MUXLINK_MODE_MOUSE_STANDARD: u32 = 1 << 4;
/// Mouse button-motion reporting (1002).
pub const MUXLINK_MODE_MOUSE_BUTTON: u32 = 1 << 5;
/// All mouse motion reporting (1003).
pub const MUXLINK_MODE_MOUSE_ANY: u32 = 1 << 6;
/// UTF-8 mouse encoding (1005).
pub const MUXLINK_MODE_MOUSE_UTF8: u32 = 1 << 7;
/// SGR mouse encoding (1006).
pub const MUXLINK_MODE_MOUSE_SGR: u32 = 1 << 8;
/// Focus events (1004).
pub const MUXLINK_MODE_FOCUS_EVENTS: u32 = 1 << 9;
/// Origin mode (DECOM).
pub const MUXLINK_MODE_ORIGIN: u32 = 1 << 10;
/// Insert mode (IRM).
pub const MUXLINK_MODE_INSERT: u32 = 1 << 11;
/// Autowrap (DECAWM).
pub const MUXLINK_MODE_AUTOWRAP: u32 = 1 << 12;
/// Blinking cursor (12).
pub const MUXLINK_MODE_CURSOR_BLINKING: u32 = 1 << 13;

/// A pane's emulator as a frame reads it (opaque). Reached through
/// `muxlink_render_state.frame`, valid as long as the render state's pointers are.
pub struct muxlink_frame {
    _private: [u8; 0],
}

/// A pane's render state: what changed since the host last pulled it (or, pushed, since its
/// last frame), the cursor, modes and title, and `frame` to read rows. Fill `size` and
/// `abi_version` with `muxlink_render_state_init` once; muxlink writes every other field.
///
/// Lifetime of every pointer inside (`dirty_rows`, `title`, `frame`, and the rows
/// `muxlink_frame_row` and `muxlink_frame_rows` return): pulled (`muxlink_client_pull_frame`), until the next call on
/// the same client other than the read-only ones (those taking `const muxlink_client *`,
/// and the `muxlink_frame_*` functions); pushed (`on_frame`), for that call only.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct muxlink_render_state {
    /// `sizeof(muxlink_render_state)`, set by `muxlink_render_state_init`.
    pub size: usize,
    /// `MUXLINK_ABI_VERSION`, set by `muxlink_render_state_init`.
    pub abi_version: u32,
    /// The pane (`%N`).
    pub pane: u32,
    /// Its window, or `MUXLINK_NONE` when not known yet.
    pub window: u32,
    /// Width in cells.
    pub cols: u16,
    /// Height in cells.
    pub rows: u16,
    /// Cursor column, 0-based (may equal `cols`: the pending-wrap column).
    pub cursor_x: u16,
    /// Cursor row, 0-based.
    pub cursor_y: u16,
    /// Whether the program shows the cursor.
    pub cursor_visible: muxlink_bool_t,
    /// Whether the alternate screen is on.
    pub alternate: muxlink_bool_t,
    /// Every row is dirty: the pane is new, resized or rebuilt.
    pub full: muxlink_bool_t,
    /// Whether `title` is set (false while muxlink has not learnt it).
    pub has_title: muxlink_bool_t,
    /// `MUXLINK_MODE_*` bits.
    pub modes: u32,
    /// Lines pushed into the history since the last frame (a host showing history moves its
    /// view up this many lines to stay on the same text).
    pub scrolled: u32,
    /// The dirty rows, ascending, 0-based from the top of the screen (`dirty_len` of them).
    pub dirty_rows: *const u16,
    /// Number of dirty rows.
    pub dirty_len: usize,
    /// The title, raw bytes from the pane's program (not NUL-terminated), or NULL.
    pub title: *const u8,
    /// Length of `title`.
    pub title_len: usize,
    /// The pane's emulator, for `muxlink_frame_row`, `muxlink_frame_rows` and
    /// `muxlink_frame_combined`.
    pub frame: *const muxlink_frame,
}

// SAFETY: repr(C), starts with size and abi_version; integers and raw pointers only.
unsafe impl sized::Sized for muxlink_render_state {
    fn defaults() -> Self {
        muxlink_render_state {
            size: size_of::<Self>(),
            abi_version: MUXLINK_ABI_VERSION,
            pane: MUXLINK_NONE,
            window: MUXLINK_NONE,
            cols: 0,
            rows: 0,
            cursor_x: 0,
            cursor_y: 0,
            cursor_visible: 0,
            alternate: 0,
            full: 0,
            has_title: 0,
            modes: 0,
            scrolled: 0,
            dirty_rows: std::ptr::null(),
            dirty_len: 0,
            title: std::ptr::null(),
            title_len: 0,
            frame: std::ptr::null(),
        }
    }
}

impl muxlink_render_state {
    /// Fills `self` (sized already) from a frame; the pointers borrow the frame's data.
    pub(crate) fn fill(&mut self, f: &Frame<'_>) {
        let c = f.cursor();
        let dirty = f.dirty_rows();
        let title = f.title();
        let term: &Terminal = f.terminal();
        *self = muxlink_render_state {
            size: self.size,
            abi_version: self.abi_version,
            pane: f.pane().0,
            window: f.window().map_or(MUXLINK_NONE, |w| w.0),
            cols: f.cols(),
            rows: f.rows(),
            cursor_x: c.x,
            cursor_y: c.y,
            cursor_visible: c.visible as u8,
            alternate: f.alternate() as u8,
            full: f.is_full() as u8,
            has_title: title.is_some() as u8,
            modes: f.modes().bits(),
            scrolled: f.scrolled(),
            dirty_rows: dirty.as_ptr(),
            dirty_len: dirty.len(),
            title: title.map_or(std::ptr::null(), <[u8]>::as_ptr),
            title_len: title.map_or(0, <[u8]>::len),
            frame: (term as *const Terminal).cast(),
        };
    }
}

/// Fills `*state` with this library's size and `MUXLINK_ABI_VERSION` (every other field
/// empty). From C this name is a macro for
/// `muxlink_render_state_init_sized(state, sizeof *state)`. NULL is ignored.
///
/// # Safety
/// `state` is NULL or points to a writable `muxlink_render_state` of this library's size.
#[no_mangle]
pub unsafe extern "C" fn muxlink_render_state_init(state: *mut muxlink_render_state) {
    // SAFETY: forwarded, with this library's size.
    let _ = unsafe { muxlink_render_state_init_sized(state, size_of::<muxlink_render_state>()) };
}

/// `muxlink_render_state_init` with the caller's `sizeof` (`MUXLINK_ERR_STRUCT_SIZE`, and
/// nothing written, for a size this library does not know).
///
/// # Safety
/// `state` is NULL or points to `size` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn muxlink_render_state_init_sized(
    state: *mut muxlink_render_state,
    size: usize,
) -> muxlink_result {
    guard(|| {
        required(state)?;
        // SAFETY: checked; `size` writable bytes (the caller's promise).
        unsafe { sized::init(state, size) }
    })
}

/// The frame's terminal.
///
/// # Safety
/// `frame` passed [`required`] and came from a render state whose pointers are still valid.
unsafe fn terminal<'a>(frame: *const muxlink_frame) -> &'a Terminal {
    // SAFETY: `frame` is a `*const Terminal` muxlink wrote into a render state, still
    // valid (the caller's promise); only read.
    unsafe { &*frame.cast::<Terminal>() }
}

/// Visible row `row` (0 is the top) of the frame's pane: `*cells` points to `*len` cells
/// (exactly the pane's width), muxlink's own storage, read-only, valid as long as the render
/// state's pointers are. No copy, no allocation.
///
/// Errors: `MUXLINK_ERR_NULL`, `MUXLINK_ERR_MISALIGNED`, `MUXLINK_ERR_OUT_OF_RANGE` (row >=
/// the pane's height; `*cells` NULL and `*len` 0 then).
///
/// # Safety
/// `frame` is NULL or a render state's `frame` whose pointers are valid; `cells` and `len`
/// are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn muxlink_frame_row(
    frame: *const muxlink_frame,
    row: u16,
    cells: *mut *const muxlink_cell,
    len: *mut usize,
) -> muxlink_result {
    guard(|| -> FfiResult {
        required(cells)?;
        required(len)?;
        // SAFETY: checked non-NULL, aligned; writable (the caller's promise).
        unsafe {
            cells.write(std::ptr::null());
            len.write(0);
        }
        required(frame.cast::<u8>())?;
        // SAFETY: the caller's promise about `frame`.
        let term = unsafe { terminal(frame) };
        if row >= term.rows() {
            return Err(muxlink_result::MUXLINK_ERR_OUT_OF_RANGE);
        }
        let r = term.screen_row(row);
        // SAFETY: as above. The cast is layout-identical (checked at compile time above).
        unsafe {
            cells.write(r.as_ptr().cast());
            len.write(r.len());
        }
        Ok(())
    })
}

/// One row as `muxlink_frame_rows` hands it out: `cells` points to `len` cells (the pane's
/// width), muxlink's own storage, read-only, borrowed like the frame's other pointers. NULL
/// and 0 for a row that was not handed out (out of range).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct muxlink_row {
    /// The row's first cell.
    pub cells: *const muxlink_cell,
    /// Number of cells.
    pub len: usize,
}

impl muxlink_row {
    const EMPTY: muxlink_row = muxlink_row {
        cells: std::ptr::null(),
        len: 0,
    };
}

/// Several visible rows of the frame's pane in one call: for each `i < count`, `out[i]` gets
/// row `rows[i]` (0 is the top), as `muxlink_frame_row` would give it. A host reading a
/// render state's dirty rows passes `state.dirty_rows` and `state.dirty_len` (or that array
/// in pieces of its buffer's size) and makes one call per frame instead of one per row.
/// `rows` is only read during the call; every `out[i].cells` is muxlink's own storage,
/// read-only, valid as long as the render state's pointers are. No copy, no allocation.
///
/// Errors: `MUXLINK_ERR_NULL` (`rows` or `out` NULL with `count` > 0, or `frame` NULL; then
/// every `out[i]` that could be written is empty), `MUXLINK_ERR_MISALIGNED`,
/// `MUXLINK_ERR_INVALID_ARGUMENT` (`count` larger than any array can be),
/// `MUXLINK_ERR_OUT_OF_RANGE` (some `rows[i]` >= the pane's height: that `out[i]` is NULL
/// and 0, every other one is filled). `count` 0 does nothing and succeeds.
///
/// # Safety
/// `frame` is NULL or a render state's `frame` whose pointers are valid; `rows` is NULL or
/// points to `count` readable `uint16_t`; `out` is NULL or points to `count` writable
/// `muxlink_row` not overlapping `rows`.
#[no_mangle]
pub unsafe extern "C" fn muxlink_frame_rows(
    frame: *const muxlink_frame,
    rows: *const u16,
    count: usize,
    out: *mut muxlink_row,
) -> muxlink_result {
    guard(|| -> FfiResult {
        if count == 0 {
            return Ok(());
        }
        required(out)?;
        if count > isize::MAX as usize / size_of::<muxlink_row>() {
            return Err(muxlink_result::MUXLINK_ERR_INVALID_ARGUMENT);
        }
        if let Err(e) = required(rows).and(required(frame.cast::<u8>())) {
            for i in 0..count {
                // SAFETY: `out` checked; `count` writable entries (the caller's promise).
                unsafe { out.add(i).write(muxlink_row::EMPTY) };
            }
            return Err(e);
        }
        // SAFETY: the caller's promise about `frame`; `rows` and `out` checked, `count`
        // entries each, not overlapping (the caller's promise), and the terminal is only read.
        let (term, rows, out) = unsafe {
            (
                terminal(frame),
                std::slice::from_raw_parts(rows, count),
                // MaybeUninit: the host's array need not be initialised; it is only written.
                std::slice::from_raw_parts_mut(out.cast::<MaybeUninit<muxlink_row>>(), count),
            )
        };
        fill_rows(term, rows, out)
    })
}

/// `out[i]` = row `rows[i]` of `term`, for `muxlink_frame_rows`. Separate, with references
/// as arguments, so that the compiler knows writing `out` changes nothing the terminal holds
/// and reads the grid's fields once per call instead of once per row.
fn fill_rows(term: &Terminal, rows: &[u16], out: &mut [MaybeUninit<muxlink_row>]) -> FfiResult {
    let height = term.rows();
    let mut result = Ok(());
    for (&y, o) in rows.iter().zip(out) {
        o.write(if y < height {
            let r = term.screen_row(y);
            // The cast is layout-identical (checked at compile time above).
            muxlink_row {
                cells: r.as_ptr().cast(),
                len: r.len(),
            }
        } else {
            result = Err(muxlink_result::MUXLINK_ERR_OUT_OF_RANGE);
            muxlink_row::EMPTY
        });
    }
    result
}

/// The text of a cell flagged `MUXLINK_CELL_EXTENDED` (`index` is its `ch`): UTF-8, not
/// NUL-terminated, in `*text` / `*len`, borrowed like the frame's rows. An index the pane does
/// not know gives an empty string.
///
/// # Safety
/// As for `muxlink_frame_row`.
#[no_mangle]
pub unsafe extern "C" fn muxlink_frame_combined(
    frame: *const muxlink_frame,
    index: u32,
    text: *mut *const u8,
    len: *mut usize,
) -> muxlink_result {
    guard(|| -> FfiResult {
        required(text)?;
        required(len)?;
        // SAFETY: checked; writable (the caller's promise).
        unsafe {
            text.write(std::ptr::null());
            len.write(0);
        }
        required(frame.cast::<u8>())?;
        // SAFETY: the caller's promise about `frame`.
        let s = unsafe { terminal(frame) }.combined(index);
        // SAFETY: as above.
        unsafe {
            text.write(s.as_ptr());
            len.write(s.len());
        }
        Ok(())
    })
}
