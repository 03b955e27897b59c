//! Operations: commands the host asks for. Each returns the command id tmux's answer will
//! carry (`MUXLINK_EVENT_COMMAND_SUCCEEDED`, `_FAILED`, `_REPLY`) in `*command` (which may be
//! NULL when the host does not need it). Ids start at 1 and grow in send order; 0 means no
//! command was sent. Targets are tmux's integer ids; nothing that came
//! from tmux is put into a command. The bytes for tmux are written (or queued for
//! `muxlink_client_outgoing`) before the call returns.

use std::ffi::c_void;

use muxlink_runtime::{ClientError, CommandId, PaneId, ReplyOutcome, SplitDirection, WindowId};

use crate::boundary::{buffer, required};
use crate::client::muxlink_client;
use crate::result::muxlink_result;
use crate::userdata::{muxlink_destroy_fn, Userdata};

/// The new pane to the right (`split-window -h`).
pub const MUXLINK_SPLIT_RIGHT: u32 = 0;
/// The new pane below (`split-window -v`).
pub const MUXLINK_SPLIT_DOWN: u32 = 1;

/// The longest command text, window name or input accepted in one call (1 MiB).
pub const MUXLINK_OP_BYTES_MAX: usize = 1 << 20;

/// Called once with tmux's answer to `muxlink_client_command_with_reply`: `ok` (`%end`) or
/// not (`%error`), and the body lines joined with `\n` (borrowed for the call). Runs inside
/// a call the host made on the client; must not call into the same client. Not called when
/// the client closes first (the destructor still runs).
pub type muxlink_reply_fn = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        ok: crate::muxlink_bool_t,
        body: *const u8,
        len: usize,
    ),
>;

pub(crate) fn client_error(e: ClientError) -> muxlink_result {
    use muxlink_result::*;
    match e {
        ClientError::Closed => MUXLINK_ERR_CLOSED,
        ClientError::ReadOnly => MUXLINK_ERR_READ_ONLY,
        ClientError::UnknownPane(_) => MUXLINK_ERR_NO_SUCH_PANE,
        ClientError::UnknownWindow(_) => MUXLINK_ERR_NO_SUCH_WINDOW,
        ClientError::UnknownSession(_) => MUXLINK_ERR_NO_SUCH_SESSION,
        ClientError::Unsupported { .. } => MUXLINK_ERR_TMUX_TOO_OLD,
        _ => MUXLINK_ERR_INVALID_ARGUMENT,
    }
}

/// Runs an operation and stores its id.
///
/// # Safety
/// `client` is NULL or a live handle; `command` is NULL or writable.
unsafe fn op(
    client: *mut muxlink_client,
    command: *mut u64,
    f: impl FnOnce(&mut muxlink_runtime::Client) -> Result<Option<CommandId>, ClientError>,
) -> muxlink_result {
    if !command.is_null() {
        if let Err(e) = required(command) {
            return e;
        }
        // SAFETY: checked; writable (the caller's promise).
        unsafe { command.write(0) };
    }
    // SAFETY: forwarded promise about `client`.
    unsafe {
        muxlink_client::with_mut(client, |c| {
            let id = c.driver.apply(|cl, _| f(cl)).map_err(client_error)?;
            if !command.is_null() {
                command.write(id.map_or(0, crate::event::command_id));
            }
            c.driver.check_callbacks()
        })
    }
}

/// A borrowed byte buffer of an operation.
///
/// # Safety
/// `p` is NULL or points to `len` readable bytes for the call.
unsafe fn bytes<'a>(p: *const u8, len: usize) -> Result<&'a [u8], muxlink_result> {
    buffer(p, len)?;
    if len > MUXLINK_OP_BYTES_MAX {
        return Err(muxlink_result::MUXLINK_ERR_INVALID_ARGUMENT);
    }
    if len == 0 {
        return Ok(&[]);
    }
    // SAFETY: non-NULL, `len` readable (the caller's promise).
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// # Safety
/// As for [`bytes`].
unsafe fn text<'a>(p: *const u8, len: usize) -> Result<&'a str, muxlink_result> {
    // SAFETY: forwarded.
    std::str::from_utf8(unsafe { bytes(p, len)? })
        .map_err(|_| muxlink_result::MUXLINK_ERR_INVALID_ARGUMENT)
}

macro_rules! checked {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return e,
        }
    };
}

/// Types `len` bytes into pane `%pane` (keys as the pane's program reads them, e.g. `\r`
/// for Enter), sent as `send-keys -H` in lines of at most 4 KiB. `*command` is the last
/// line's id (0, nothing sent, when `len` is 0); its success means every line ran.
/// Errors: `MUXLINK_ERR_NO_SUCH_PANE`, `MUXLINK_ERR_READ_ONLY`, `MUXLINK_ERR_CLOSED`,
/// `MUXLINK_ERR_INVALID_ARGUMENT` (len above `MUXLINK_OP_BYTES_MAX`), `MUXLINK_ERR_NULL`.
/// Allocates the command text.
///
/// # Safety
/// `client` is NULL or a live handle; `bytes` points to `len` readable bytes (NULL with 0);
/// `command` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_send_input(
    client: *mut muxlink_client,
    pane: u32,
    bytes: *const u8,
    len: usize,
    command: *mut u64,
) -> muxlink_result {
    // SAFETY: forwarded.
    let b = checked!(unsafe { self::bytes(bytes, len) });
    // SAFETY: forwarded.
    unsafe { op(client, command, |c| c.send_input(PaneId(pane), b)) }
}

/// Pastes `len` bytes into pane `%pane`, bracketed when the pane's program asked for it
/// (grid mode; in bytes mode the host brackets). As `muxlink_client_send_input` otherwise.
///
/// # Safety
/// As for `muxlink_client_send_input`.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_paste(
    client: *mut muxlink_client,
    pane: u32,
    bytes: *const u8,
    len: usize,
    command: *mut u64,
) -> muxlink_result {
    // SAFETY: forwarded.
    let b = checked!(unsafe { self::bytes(bytes, len) });
    // SAFETY: forwarded.
    unsafe { op(client, command, |c| c.paste(PaneId(pane), b)) }
}

/// Sets the client's size (`refresh-client -C COLSxROWS`, 1..10000 each); tmux answers with
/// layout changes. Errors: `MUXLINK_ERR_INVALID_ARGUMENT`, `MUXLINK_ERR_READ_ONLY`,
/// `MUXLINK_ERR_CLOSED`.
///
/// # Safety
/// `client` is NULL or a live handle; `command` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_resize(
    client: *mut muxlink_client,
    cols: u16,
    rows: u16,
    command: *mut u64,
) -> muxlink_result {
    // SAFETY: forwarded.
    unsafe { op(client, command, |c| c.set_client_size(cols, rows).map(Some)) }
}

/// Sets one window's size for this client (`refresh-client -C @W:COLSxROWS`, tmux 3.3+;
/// `MUXLINK_ERR_TMUX_TOO_OLD` before).
///
/// # Safety
/// As for `muxlink_client_resize`.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_resize_window(
    client: *mut muxlink_client,
    window: u32,
    cols: u16,
    rows: u16,
    command: *mut u64,
) -> muxlink_result {
    // SAFETY: forwarded.
    unsafe {
        op(client, command, |c| {
            c.set_window_size(WindowId(window), cols, rows).map(Some)
        })
    }
}

/// Splits pane `%pane` (`MUXLINK_SPLIT_RIGHT` or `MUXLINK_SPLIT_DOWN`); the new pane arrives
/// with `MUXLINK_EVENT_LAYOUT_CHANGED` and `MUXLINK_EVENT_PANE_ADDED`.
///
/// # Safety
/// As for `muxlink_client_resize`.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_split(
    client: *mut muxlink_client,
    pane: u32,
    direction: u32,
    command: *mut u64,
) -> muxlink_result {
    let dir = match direction {
        MUXLINK_SPLIT_RIGHT => SplitDirection::Right,
        MUXLINK_SPLIT_DOWN => SplitDirection::Down,
        _ => return muxlink_result::MUXLINK_ERR_INVALID_ARGUMENT,
    };
    // SAFETY: forwarded.
    unsafe { op(client, command, |c| c.split(PaneId(pane), dir).map(Some)) }
}

/// Makes pane `%pane` its window's active pane.
///
/// # Safety
/// As for `muxlink_client_resize`.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_select_pane(
    client: *mut muxlink_client,
    pane: u32,
    command: *mut u64,
) -> muxlink_result {
    // SAFETY: forwarded.
    unsafe { op(client, command, |c| c.select_pane(PaneId(pane)).map(Some)) }
}

/// Makes window `@window` the current window.
///
/// # Safety
/// As for `muxlink_client_resize`.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_select_window(
    client: *mut muxlink_client,
    window: u32,
    command: *mut u64,
) -> muxlink_result {
    // SAFETY: forwarded.
    unsafe {
        op(client, command, |c| {
            c.select_window(WindowId(window)).map(Some)
        })
    }
}

/// Opens a window in the attached session, named `name` (UTF-8, `len` bytes; 0 for tmux's
/// default name).
///
/// # Safety
/// As for `muxlink_client_send_input`.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_new_window(
    client: *mut muxlink_client,
    name: *const u8,
    len: usize,
    command: *mut u64,
) -> muxlink_result {
    // SAFETY: forwarded.
    let name = checked!(unsafe { text(name, len) });
    let name = (!name.is_empty()).then_some(name);
    // SAFETY: forwarded.
    unsafe { op(client, command, |c| c.new_window(name).map(Some)) }
}

/// Kills pane `%pane`.
///
/// # Safety
/// As for `muxlink_client_resize`.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_kill_pane(
    client: *mut muxlink_client,
    pane: u32,
    command: *mut u64,
) -> muxlink_result {
    // SAFETY: forwarded.
    unsafe { op(client, command, |c| c.kill_pane(PaneId(pane)).map(Some)) }
}

/// Toggles the zoom of pane `%pane`.
///
/// # Safety
/// As for `muxlink_client_resize`.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_zoom(
    client: *mut muxlink_client,
    pane: u32,
    command: *mut u64,
) -> muxlink_result {
    // SAFETY: forwarded.
    unsafe { op(client, command, |c| c.zoom(PaneId(pane)).map(Some)) }
}

/// Resumes pane `%pane` after `MUXLINK_EVENT_PAUSED` (`refresh-client -A '%P:continue'`) and
/// re-captures it; `MUXLINK_EVENT_RESUMED` follows (and `MUXLINK_EVENT_PANE_RESET` in bytes
/// mode).
///
/// # Safety
/// As for `muxlink_client_resize`.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_resume_pane(
    client: *mut muxlink_client,
    pane: u32,
    command: *mut u64,
) -> muxlink_result {
    // SAFETY: forwarded.
    unsafe { op(client, command, |c| c.resume_pane(PaneId(pane)).map(Some)) }
}

/// Detaches (`detach-client`); tmux answers with `%exit` and the client closes. Allowed when
/// read-only.
///
/// # Safety
/// As for `muxlink_client_resize`.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_detach(
    client: *mut muxlink_client,
    command: *mut u64,
) -> muxlink_result {
    // SAFETY: forwarded.
    unsafe { op(client, command, |c| c.detach().map(Some)) }
}

/// Sends the user's own command (one line of UTF-8, no `;`, no line break); tmux's answer
/// comes as `MUXLINK_EVENT_COMMAND_REPLY` with `*command`. Never compose `text` from strings
/// that came from tmux.
///
/// # Safety
/// As for `muxlink_client_send_input`.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_command(
    client: *mut muxlink_client,
    text: *const u8,
    len: usize,
    command: *mut u64,
) -> muxlink_result {
    // SAFETY: forwarded.
    let t = checked!(unsafe { self::text(text, len) });
    // SAFETY: forwarded.
    unsafe { op(client, command, |c| c.send_command(t).map(Some)) }
}

/// As `muxlink_client_command`, with tmux's answer given to `reply` (see `muxlink_reply_fn`)
/// instead of an event. `destroy` runs exactly once: after `reply` ran, when the client
/// closes or is freed before the answer came, or, when this call fails after checking its
/// pointers and text, before it returns.
///
/// # Safety
/// As for `muxlink_client_send_input`; `reply` and `destroy` behave as documented.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_command_with_reply(
    client: *mut muxlink_client,
    text: *const u8,
    len: usize,
    reply: muxlink_reply_fn,
    userdata: *mut c_void,
    destroy: muxlink_destroy_fn,
    command: *mut u64,
) -> muxlink_result {
    let Some(reply) = reply else {
        return muxlink_result::MUXLINK_ERR_NULL;
    };
    // SAFETY: forwarded.
    let t = checked!(unsafe { self::text(text, len) });
    let ud = Userdata::new(userdata, destroy);
    let on_reply = Box::new(move |o: &ReplyOutcome<'_>| {
        // SAFETY: the host's callback with its userdata; the body lives through the call.
        unsafe { reply(ud.ptr(), o.ok as u8, o.body.as_ptr(), o.body.len()) };
    });
    // SAFETY: forwarded. On any error the closure, and with it the userdata, is dropped.
    unsafe { op(client, command, |c| c.raw_command(t, on_reply).map(Some)) }
}
