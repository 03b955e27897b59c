//! Reading the session model: which windows and panes there are, in tmux's order, and what
//! each one is. Read-only calls (`const muxlink_client *`): they leave earlier borrowed
//! pointers valid.

use std::mem::size_of;

use muxlink_runtime::{PaneId, WindowId};

use crate::boundary::{guard, required};
use crate::client::muxlink_client;
use crate::event::MUXLINK_NONE;
use crate::result::muxlink_result;
use crate::sized;
use crate::{muxlink_bool_t, MUXLINK_ABI_VERSION};

/// Writes up to `cap` ids to `ids` and the number there are to `*count`;
/// `MUXLINK_ERR_BUFFER_TOO_SMALL` (nothing written to `ids`) when `cap` is too small.
///
/// # Safety
/// `ids` is NULL or points to `cap` writable u32; `count` writable (checked).
unsafe fn list(
    all: impl ExactSizeIterator<Item = u32>,
    ids: *mut u32,
    cap: usize,
    count: *mut usize,
) -> Result<(), muxlink_result> {
    let n = all.len();
    // SAFETY: the caller's promise.
    unsafe { count.write(n) };
    if n > cap {
        return Err(muxlink_result::MUXLINK_ERR_BUFFER_TOO_SMALL);
    }
    for (i, id) in all.enumerate() {
        // SAFETY: i < n <= cap writable entries (the caller's promise, checked non-NULL).
        unsafe { ids.add(i).write(id) };
    }
    Ok(())
}

/// # Safety
/// `ids` is NULL or `cap` writable u32; `count` NULL or writable.
unsafe fn check_list(ids: *mut u32, cap: usize, count: *mut usize) -> Result<(), muxlink_result> {
    required(count)?;
    // SAFETY: checked; writable.
    unsafe { count.write(0) };
    if cap > 0 {
        required(ids)?;
    }
    Ok(())
}

/// The windows of the model in tmux's order (by index, then those whose index is not known
/// yet, by id), up to `cap` ids in `ids`, their number in `*count` (ask with NULL and 0: the
/// result is then `MUXLINK_ERR_BUFFER_TOO_SMALL` when there are any). Allocates a small list.
///
/// # Safety
/// `client` is NULL or a live handle; `ids` is NULL or points to `cap` writable `uint32_t`;
/// `count` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_windows(
    client: *const muxlink_client,
    ids: *mut u32,
    cap: usize,
    count: *mut usize,
) -> muxlink_result {
    // SAFETY: forwarded.
    if let Err(e) = unsafe { check_list(ids, cap, count) } {
        return e;
    }
    // SAFETY: forwarded promises.
    unsafe {
        muxlink_client::with_ref(client, |c| {
            let ws = c.client().state().windows_by_index();
            list(ws.iter().map(|w| w.id.0), ids, cap, count)
        })
    }
}

/// The panes of window `@window` that it shows, in layout order (the active one alone while
/// zoomed), or every pane of the model when `window` is `MUXLINK_NONE` (by id). As
/// `muxlink_client_windows` otherwise. An unknown window has none.
///
/// # Safety
/// As for `muxlink_client_windows`.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_panes(
    client: *const muxlink_client,
    window: u32,
    ids: *mut u32,
    cap: usize,
    count: *mut usize,
) -> muxlink_result {
    // SAFETY: forwarded.
    if let Err(e) = unsafe { check_list(ids, cap, count) } {
        return e;
    }
    // SAFETY: forwarded promises.
    unsafe {
        muxlink_client::with_ref(client, |c| {
            let m = c.client().state();
            if window == MUXLINK_NONE {
                list(m.panes.keys().map(|p| p.0), ids, cap, count)
            } else {
                let v = m.visible_panes(WindowId(window));
                list(v.iter().map(|p| p.0), ids, cap, count)
            }
        })
    }
}

/// The attached session's current window and its active pane (where typed keys go), each
/// `MUXLINK_NONE` while not known.
///
/// # Safety
/// `client` is NULL or a live handle; `window` and `pane` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_active(
    client: *const muxlink_client,
    window: *mut u32,
    pane: *mut u32,
) -> muxlink_result {
    if let Err(e) = required(window).and(required(pane)) {
        return e;
    }
    // SAFETY: forwarded promises; both pointers checked.
    unsafe {
        muxlink_client::with_ref(client, |c| {
            let m = c.client().state();
            window.write(m.active_window().map_or(MUXLINK_NONE, |w| w.0));
            pane.write(m.active_pane().map_or(MUXLINK_NONE, |p| p.0));
            Ok(())
        })
    }
}

/// What a pane is. Fill `size` and `abi_version` with `muxlink_pane_info_init`; muxlink
/// writes the rest. `title` is borrowed until the next call on the client other than the
/// read-only ones.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct muxlink_pane_info {
    /// `sizeof(muxlink_pane_info)`.
    pub size: usize,
    /// `MUXLINK_ABI_VERSION`.
    pub abi_version: u32,
    /// `%N`.
    pub pane: u32,
    /// Its window, or `MUXLINK_NONE`.
    pub window: u32,
    /// Width in cells.
    pub cols: u16,
    /// Height in cells.
    pub rows: u16,
    /// Left edge within the window.
    pub x: u16,
    /// Top edge within the window.
    pub y: u16,
    /// Cursor column (grid mode; 0 in bytes mode).
    pub cursor_x: u16,
    /// Cursor row (grid mode).
    pub cursor_y: u16,
    /// Cursor shown (grid mode).
    pub cursor_visible: muxlink_bool_t,
    /// Alternate screen on (grid mode).
    pub alternate: muxlink_bool_t,
    /// tmux paused its output.
    pub paused: muxlink_bool_t,
    /// Its content equals tmux's (false while a capture is pending).
    pub synced: muxlink_bool_t,
    /// In a mode such as copy-mode.
    pub in_mode: muxlink_bool_t,
    /// Lines of history (grid mode).
    pub history: u32,
    /// Title, raw bytes; NULL while unknown.
    pub title: *const u8,
    /// Length of `title`.
    pub title_len: usize,
}

// SAFETY: repr(C), starts with size and abi_version; integers and raw pointers.
unsafe impl sized::Sized for muxlink_pane_info {
    fn defaults() -> Self {
        muxlink_pane_info {
            size: size_of::<Self>(),
            abi_version: MUXLINK_ABI_VERSION,
            pane: MUXLINK_NONE,
            window: MUXLINK_NONE,
            cols: 0,
            rows: 0,
            x: 0,
            y: 0,
            cursor_x: 0,
            cursor_y: 0,
            cursor_visible: 0,
            alternate: 0,
            paused: 0,
            synced: 0,
            in_mode: 0,
            history: 0,
            title: std::ptr::null(),
            title_len: 0,
        }
    }
}

/// Fills `*info` for pane `%pane` (initialised with `muxlink_pane_info_init`).
/// Errors: `MUXLINK_ERR_NO_SUCH_PANE`, `MUXLINK_ERR_NULL`, `MUXLINK_ERR_STRUCT_SIZE`,
/// `MUXLINK_ERR_ABI_VERSION`.
///
/// # Safety
/// `client` is NULL or a live handle; `info` is NULL or points to `info->size` writable
/// bytes.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_pane_info(
    client: *const muxlink_client,
    pane: u32,
    info: *mut muxlink_pane_info,
) -> muxlink_result {
    if let Err(e) = required(info) {
        return e;
    }
    // SAFETY: forwarded promises; `info` checked, its size below.
    unsafe {
        muxlink_client::with_ref(client, |c| {
            sized::check_out(info)?;
            let p = c
                .client()
                .state()
                .pane(PaneId(pane))
                .ok_or(muxlink_result::MUXLINK_ERR_NO_SUCH_PANE)?;
            let cur = p.cursor();
            let title = p.title.as_deref();
            let i = &mut *info;
            *i = muxlink_pane_info {
                size: i.size,
                abi_version: i.abi_version,
                pane,
                window: p.window.map_or(MUXLINK_NONE, |w| w.0),
                cols: p.cols,
                rows: p.rows,
                x: p.x,
                y: p.y,
                cursor_x: cur.map_or(0, |c| c.x),
                cursor_y: cur.map_or(0, |c| c.y),
                cursor_visible: cur.is_some_and(|c| c.visible) as u8,
                alternate: p.alternate().unwrap_or(false) as u8,
                paused: p.paused as u8,
                synced: p.synced as u8,
                in_mode: p.mode.is_some() as u8,
                history: p
                    .history_len()
                    .map_or(0, |h| h.min(u32::MAX as usize) as u32),
                title: title.map_or(std::ptr::null(), <[u8]>::as_ptr),
                title_len: title.map_or(0, <[u8]>::len),
            };
            Ok(())
        })
    }
}

/// What a window is. Fill with `muxlink_window_info_init`; `name` and `layout` are borrowed
/// until the next call on the client other than the read-only ones.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct muxlink_window_info {
    /// `sizeof(muxlink_window_info)`.
    pub size: usize,
    /// `MUXLINK_ABI_VERSION`.
    pub abi_version: u32,
    /// `@N`.
    pub window: u32,
    /// tmux's index in the attached session (`#{window_index}`), or `MUXLINK_NONE` while
    /// unknown.
    pub index: u32,
    /// The active pane, or `MUXLINK_NONE`.
    pub active_pane: u32,
    /// Width from its layout.
    pub cols: u16,
    /// Height from its layout.
    pub rows: u16,
    /// A pane is zoomed.
    pub zoomed: muxlink_bool_t,
    /// Number of panes.
    pub panes: u32,
    /// The name, raw bytes from tmux (empty until known).
    pub name: *const u8,
    /// Length of `name`.
    pub name_len: usize,
    /// The layout string with its checksum (tmux's own text), or NULL while unknown.
    pub layout: *const u8,
    /// Length of `layout`.
    pub layout_len: usize,
}

// SAFETY: repr(C), starts with size and abi_version; integers and raw pointers.
unsafe impl sized::Sized for muxlink_window_info {
    fn defaults() -> Self {
        muxlink_window_info {
            size: size_of::<Self>(),
            abi_version: MUXLINK_ABI_VERSION,
            window: MUXLINK_NONE,
            index: MUXLINK_NONE,
            active_pane: MUXLINK_NONE,
            cols: 0,
            rows: 0,
            zoomed: 0,
            panes: 0,
            name: std::ptr::null(),
            name_len: 0,
            layout: std::ptr::null(),
            layout_len: 0,
        }
    }
}

/// Fills `*info` for window `@window`. Errors: `MUXLINK_ERR_NO_SUCH_WINDOW`, as
/// `muxlink_client_pane_info` otherwise.
///
/// # Safety
/// As for `muxlink_client_pane_info`.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_window_info(
    client: *const muxlink_client,
    window: u32,
    info: *mut muxlink_window_info,
) -> muxlink_result {
    if let Err(e) = required(info) {
        return e;
    }
    // SAFETY: forwarded promises; `info` checked, its size below.
    unsafe {
        muxlink_client::with_ref(client, |c| {
            sized::check_out(info)?;
            let m = c.client().state();
            let w = m
                .window(WindowId(window))
                .ok_or(muxlink_result::MUXLINK_ERR_NO_SUCH_WINDOW)?;
            let i = &mut *info;
            *i = muxlink_window_info {
                size: i.size,
                abi_version: i.abi_version,
                window,
                index: w.index.unwrap_or(MUXLINK_NONE),
                active_pane: m.active_pane_of(w.id).map_or(MUXLINK_NONE, |p| p.0),
                cols: w.cols,
                rows: w.rows,
                zoomed: w.zoomed as u8,
                panes: w.panes.len().min(u32::MAX as usize) as u32,
                name: w.name.as_ptr(),
                name_len: w.name.len(),
                layout: w.layout.as_deref().map_or(std::ptr::null(), str::as_ptr),
                layout_len: w.layout.as_deref().map_or(0, str::len),
            };
            Ok(())
        })
    }
}

/// Fills `*info` with this library's size, `MUXLINK_ABI_VERSION` and empty fields. From C
/// this name is a macro for `muxlink_pane_info_init_sized(info, sizeof *info)`. NULL is ignored.
///
/// # Safety
/// `info` is NULL or points to a writable `muxlink_pane_info` of this library's size.
#[no_mangle]
pub unsafe extern "C" fn muxlink_pane_info_init(info: *mut muxlink_pane_info) {
    // SAFETY: forwarded, with this library's size.
    let _ = unsafe { muxlink_pane_info_init_sized(info, size_of::<muxlink_pane_info>()) };
}

/// `muxlink_pane_info_init` with the caller's `sizeof` (`MUXLINK_ERR_STRUCT_SIZE`, nothing written, for a size
/// this library does not know).
///
/// # Safety
/// `info` is NULL or points to `size` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn muxlink_pane_info_init_sized(
    info: *mut muxlink_pane_info,
    size: usize,
) -> muxlink_result {
    guard(|| {
        required(info)?;
        // SAFETY: checked; `size` writable bytes (the caller's promise).
        unsafe { sized::init(info, size) }
    })
}

/// Fills `*info` with this library's size, `MUXLINK_ABI_VERSION` and empty fields. From C
/// this name is a macro for `muxlink_window_info_init_sized(info, sizeof *info)`. NULL is ignored.
///
/// # Safety
/// `info` is NULL or points to a writable `muxlink_window_info` of this library's size.
#[no_mangle]
pub unsafe extern "C" fn muxlink_window_info_init(info: *mut muxlink_window_info) {
    // SAFETY: forwarded, with this library's size.
    let _ = unsafe { muxlink_window_info_init_sized(info, size_of::<muxlink_window_info>()) };
}

/// `muxlink_window_info_init` with the caller's `sizeof` (`MUXLINK_ERR_STRUCT_SIZE`, nothing written, for a size
/// this library does not know).
///
/// # Safety
/// `info` is NULL or points to `size` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn muxlink_window_info_init_sized(
    info: *mut muxlink_window_info,
    size: usize,
) -> muxlink_result {
    guard(|| {
        required(info)?;
        // SAFETY: checked; `size` writable bytes (the caller's promise).
        unsafe { sized::init(info, size) }
    })
}
