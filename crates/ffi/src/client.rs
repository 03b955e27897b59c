//! `muxlink_client`: one control-mode connection, fed by the host, read by the host.

use std::cell::Cell;
use std::time::Instant;

use muxlink_runtime::{Client, ClientEvent, Frame, Host, Pane, PaneId};

use crate::boundary::{buffer, guard, required, FfiResult};
use crate::config::muxlink_client_config;
use crate::result::muxlink_result;

/// One control-mode client (opaque). Made by `muxlink_client_new`, freed by
/// `muxlink_client_free`. Used by one thread at a time; it may move between threads between
/// calls.
pub struct muxlink_client {
    client: Client,
    host: SeedHost,
    /// Set when a call on this handle panicked: every later call but `_free` is refused.
    poisoned: Cell<bool>,
}

/// The host side of the Rust client until the C ABI grows events and frames: it counts what
/// it is told and keeps nothing.
#[derive(Debug, Default)]
struct SeedHost {
    protocol_errors: u64,
}

impl Host for SeedHost {
    fn on_frame(&mut self, _frame: &Frame<'_>) {}
    fn on_event(&mut self, event: &ClientEvent<'_>) {
        if let ClientEvent::ProtocolError { .. } = event {
            self.protocol_errors += 1;
        }
    }
}

impl muxlink_client {
    /// Runs `body` on the handle behind `p` inside the panic boundary; a panic poisons it.
    ///
    /// # Safety
    /// `p` is NULL or a pointer `muxlink_client_new` returned and that has not been freed.
    unsafe fn with_mut(
        p: *mut muxlink_client,
        body: impl FnOnce(&mut muxlink_client) -> FfiResult,
    ) -> muxlink_result {
        if let Err(e) = required(p) {
            return e;
        }
        // SAFETY: a live handle (the caller's promise), used by this thread only.
        if unsafe { (*p).poisoned.get() } {
            return muxlink_result::MUXLINK_ERR_POISONED;
        }
        // SAFETY: as above; the reference ends when `body` returns or unwinds.
        let r = guard(|| body(unsafe { &mut *p }));
        if r == muxlink_result::MUXLINK_ERR_PANIC {
            // SAFETY: the handle is still allocated; the panicking borrow has ended.
            unsafe { (*p).poisoned.set(true) };
        }
        r
    }

    /// [`muxlink_client::with_mut`] for calls that only read.
    ///
    /// # Safety
    /// As for `with_mut`.
    unsafe fn with_ref(
        p: *const muxlink_client,
        body: impl FnOnce(&muxlink_client) -> FfiResult,
    ) -> muxlink_result {
        if let Err(e) = required(p) {
            return e;
        }
        // SAFETY: a live handle (the caller's promise).
        let c = unsafe { &*p };
        if c.poisoned.get() {
            return muxlink_result::MUXLINK_ERR_POISONED;
        }
        let r = guard(|| body(c));
        if r == muxlink_result::MUXLINK_ERR_PANIC {
            c.poisoned.set(true);
        }
        r
    }
}

/// Makes a client from `*config` (see `muxlink_client_config_init`) and stores it in `*out`.
/// A client made with a plain `tmux -C` stream in mind starts in control mode; with
/// `handshake` on it queues the attach commands at once.
///
/// Errors: `MUXLINK_ERR_NULL` (config or out is NULL), `MUXLINK_ERR_MISALIGNED`,
/// `MUXLINK_ERR_STRUCT_SIZE`, `MUXLINK_ERR_ABI_VERSION`, `MUXLINK_ERR_INVALID_ARGUMENT` (a
/// field out of range). On any error `*out` is set to NULL (when `out` itself is usable).
/// Costs a few small allocations; panes are allocated as tmux reports them.
///
/// # Safety
/// `config` is NULL or points to `config->size` readable bytes; `out` is NULL or points to a
/// writable `muxlink_client *`.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_new(
    config: *const muxlink_client_config,
    out: *mut *mut muxlink_client,
) -> muxlink_result {
    guard(|| {
        required(out)?;
        // SAFETY: non-NULL, aligned and writable (the caller's promise); cleared first so
        // that every error leaves NULL behind.
        unsafe { out.write(std::ptr::null_mut()) };
        required(config)?;
        // SAFETY: checked non-NULL and aligned; readable as `muxlink_client_config::read`
        // needs (the caller's promise).
        let config = unsafe { muxlink_client_config::read(config)? };
        let handle = Box::new(muxlink_client {
            client: Client::new(config),
            host: SeedHost::default(),
            poisoned: Cell::new(false),
        });
        // SAFETY: as above.
        unsafe { out.write(Box::into_raw(handle)) };
        Ok(())
    })
}

/// Frees a client and everything it holds. NULL does nothing. A poisoned client is freed too.
/// The pointer is invalid afterwards.
///
/// # Safety
/// `client` is NULL or a pointer `muxlink_client_new` returned that has not been freed.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_free(client: *mut muxlink_client) {
    if client.is_null() || !client.is_aligned() {
        return;
    }
    // A panic while dropping leaks what is left rather than unwinding into C.
    let _ = guard(|| {
        // SAFETY: a live handle made by Box::into_raw in muxlink_client_new (the caller's
        // promise), freed once.
        drop(unsafe { Box::from_raw(client) });
        Ok(())
    });
}

/// Feeds `len` bytes read from tmux's stdout, cut anywhere (a notification, an escape
/// sequence or a UTF-8 character may span calls). The bytes are borrowed for the call only.
/// `bytes` may be NULL when `len` is 0.
///
/// Errors: `MUXLINK_ERR_NULL`, `MUXLINK_ERR_MISALIGNED`, `MUXLINK_ERR_INVALID_ARGUMENT` (len
/// above `PTRDIFF_MAX`), `MUXLINK_ERR_CLOSED` (the client closed before this call: tmux's
/// `%exit` came earlier; bytes after `%exit` within the same call are ignored and the call
/// succeeds), `MUXLINK_ERR_POISONED`, `MUXLINK_ERR_PANIC`. Malformed input is not an error:
/// a line muxlink cannot take is skipped and parsing resumes at the next one.
/// Costs no allocation per notification once buffers are warm, except for what tmux creates
/// (panes, windows).
///
/// # Safety
/// `client` is NULL or a live handle; `bytes` is NULL or points to `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_feed(
    client: *mut muxlink_client,
    bytes: *const u8,
    len: usize,
) -> muxlink_result {
    if let Err(e) = buffer(bytes, len) {
        return e;
    }
    let body = |c: &mut muxlink_client| {
        if c.client.is_closed() {
            return Err(muxlink_result::MUXLINK_ERR_CLOSED);
        }
        let bytes = if len == 0 {
            &[][..]
        } else {
            // SAFETY: non-NULL (`buffer` checked it), `len` readable bytes (the caller's
            // promise), len at most isize::MAX; borrowed for this call only.
            unsafe { std::slice::from_raw_parts(bytes, len) }
        };
        let now = Instant::now();
        c.client.receive(bytes, now, &mut c.host);
        c.client.flush_frames(now, &mut c.host);
        Ok(())
    };
    // SAFETY: forwarded promise about `client`.
    unsafe { muxlink_client::with_mut(client, body) }
}

/// Writes screen row `row` (0 is the top) of pane `%pane` to `buf` as UTF-8, as tmux's
/// `capture-pane -p` prints it (trailing spaces trimmed, no newline, no NUL), and its length
/// to `*out_len`. When `cap` is too small (or `buf` is NULL with `cap` 0, to ask the size),
/// nothing is written to `buf`, `*out_len` is the length needed and the result is
/// `MUXLINK_ERR_BUFFER_TOO_SMALL`. A row's length is at most 4 bytes per combining character
/// and cell, and usually the number of printed cells.
///
/// Errors: `MUXLINK_ERR_NULL` (client or out_len NULL, or buf NULL with cap > 0),
/// `MUXLINK_ERR_MISALIGNED`, `MUXLINK_ERR_INVALID_ARGUMENT` (cap above `PTRDIFF_MAX`),
/// `MUXLINK_ERR_NO_SUCH_PANE`, `MUXLINK_ERR_NO_GRID` (bytes mode), `MUXLINK_ERR_OUT_OF_RANGE`
/// (row >= the pane's height), `MUXLINK_ERR_BUFFER_TOO_SMALL`, `MUXLINK_ERR_POISONED`,
/// `MUXLINK_ERR_PANIC`. `*out_len` is 0 after any error but `MUXLINK_ERR_BUFFER_TOO_SMALL`.
/// Costs one allocation of the row's length.
///
/// # Safety
/// `client` is NULL or a live handle; `buf` is NULL or points to `cap` writable bytes;
/// `out_len` is NULL or points to a writable `size_t`.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_pane_row_text(
    client: *const muxlink_client,
    pane: u32,
    row: u32,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> muxlink_result {
    if let Err(e) = required(out_len) {
        return e;
    }
    // SAFETY: non-NULL, aligned, writable (the caller's promise).
    unsafe { out_len.write(0) };
    if let Err(e) = buffer(buf, cap) {
        return e;
    }
    let body = |c: &muxlink_client| {
        let pane = c
            .client
            .state()
            .pane(PaneId(pane))
            .ok_or(muxlink_result::MUXLINK_ERR_NO_SUCH_PANE)?;
        let text = row_text(pane, row)?;
        // SAFETY: writable (the caller's promise, written above already).
        unsafe { out_len.write(text.len()) };
        if text.len() > cap {
            return Err(muxlink_result::MUXLINK_ERR_BUFFER_TOO_SMALL);
        }
        if !text.is_empty() {
            // SAFETY: `buf` is non-NULL here (cap >= len > 0 and `buffer` checked it) and
            // holds `cap` writable bytes; the source is our own string, not overlapping.
            unsafe { std::ptr::copy_nonoverlapping(text.as_ptr(), buf, text.len()) };
        }
        Ok(())
    };
    // SAFETY: forwarded promise about `client`.
    unsafe { muxlink_client::with_ref(client, body) }
}

/// A visible row of a pane as `capture-pane -p` prints it: every cell's text (nothing for the
/// right half of a wide character), trailing spaces trimmed.
fn row_text(pane: &Pane, row: u32) -> Result<String, muxlink_result> {
    let term = pane.terminal().ok_or(muxlink_result::MUXLINK_ERR_NO_GRID)?;
    let y = u16::try_from(row)
        .ok()
        .filter(|&y| y < term.rows())
        .ok_or(muxlink_result::MUXLINK_ERR_OUT_OF_RANGE)?;
    let mut text = String::new();
    for cell in term.screen_row(y) {
        term.push_cell_text(cell, &mut text);
    }
    text.truncate(text.trim_end_matches(' ').len());
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boundary::quietly;
    use crate::config::{muxlink_client_config_init, MUXLINK_OUTPUT_BYTES};
    use muxlink_result::*;

    const VIM: &[u8] = include_bytes!("../../proto/tests/fixtures/tmux-3.3a-vim.stream");
    const WINDOWS: &[u8] = include_bytes!("../../proto/tests/fixtures/tmux-3.3a-windows.stream");

    fn replay_config() -> muxlink_client_config {
        let mut c = std::mem::MaybeUninit::uninit();
        // SAFETY: a writable, aligned struct that init fills.
        let mut c: muxlink_client_config = unsafe {
            muxlink_client_config_init(c.as_mut_ptr());
            c.assume_init()
        };
        c.handshake = 0;
        c.keep_state_on_exit = 1;
        c
    }

    fn new_client(config: &muxlink_client_config) -> *mut muxlink_client {
        let mut out = std::ptr::null_mut();
        // SAFETY: valid pointers to a whole config and a writable out.
        assert_eq!(unsafe { muxlink_client_new(config, &mut out) }, MUXLINK_OK);
        assert!(!out.is_null());
        out
    }

    fn feed(c: *mut muxlink_client, bytes: &[u8]) -> muxlink_result {
        // SAFETY: a live handle and a borrowed slice.
        unsafe { muxlink_client_feed(c, bytes.as_ptr(), bytes.len()) }
    }

    fn row(c: *const muxlink_client, pane: u32, row: u32) -> Result<String, muxlink_result> {
        let mut len = 0usize;
        // SAFETY: size query with NULL and 0, as documented.
        let r = unsafe {
            muxlink_client_pane_row_text(c, pane, row, std::ptr::null_mut(), 0, &mut len)
        };
        match r {
            MUXLINK_OK => return Ok(String::new()),
            MUXLINK_ERR_BUFFER_TOO_SMALL => {}
            e => return Err(e),
        }
        let mut buf = vec![0u8; len];
        let mut got = 0usize;
        // SAFETY: `buf` holds `len` writable bytes.
        let r = unsafe {
            muxlink_client_pane_row_text(c, pane, row, buf.as_mut_ptr(), buf.len(), &mut got)
        };
        assert_eq!(r, MUXLINK_OK);
        assert_eq!(got, len);
        Ok(String::from_utf8(buf).expect("row text is UTF-8"))
    }

    /// Every row through the C ABI equals the session model's own screen lines (what
    /// `muxlink replay --json` prints), for any chunking of the stream.
    #[test]
    fn rows_equal_the_model_in_any_chunking() {
        for stream in [VIM, WINDOWS] {
            for chunk in [1usize, 7, 4096, stream.len()] {
                let c = new_client(&replay_config());
                for piece in stream.chunks(chunk) {
                    assert_eq!(feed(c, piece), MUXLINK_OK);
                }
                // SAFETY: a live handle, read only.
                let model = unsafe { (*c).client.state() };
                assert!(!model.panes.is_empty());
                for (id, pane) in &model.panes {
                    let lines = pane.screen_lines();
                    assert_eq!(lines.len(), usize::from(pane.rows));
                    for (y, line) in lines.iter().enumerate() {
                        assert_eq!(&row(c, id.0, y as u32).unwrap(), line, "%{} row {y}", id.0);
                    }
                    assert_eq!(
                        row(c, id.0, pane.rows.into()),
                        Err(MUXLINK_ERR_OUT_OF_RANGE)
                    );
                }
                // SAFETY: a live handle, freed once.
                unsafe { muxlink_client_free(c) };
            }
        }
    }

    #[test]
    fn a_known_row_reads_back() {
        let c = new_client(&replay_config());
        assert_eq!(feed(c, WINDOWS), MUXLINK_OK);
        assert_eq!(row(c, 0, 0).unwrap(), "$ echo hello from pane zero");
        assert_eq!(row(c, 0, 1).unwrap(), "hello from pane zero");
        assert_eq!(row(c, 0, 29).unwrap(), "");
        assert_eq!(row(c, 99, 0), Err(MUXLINK_ERR_NO_SUCH_PANE));
        assert_eq!(row(c, 0, u32::MAX), Err(MUXLINK_ERR_OUT_OF_RANGE));
        // The stream ended with %exit: the client is closed but its state stays readable.
        assert_eq!(feed(c, b"%output %0 more\n"), MUXLINK_ERR_CLOSED);
        assert_eq!(row(c, 0, 1).unwrap(), "hello from pane zero");
        // SAFETY: a live handle, freed once.
        unsafe { muxlink_client_free(c) };
    }

    #[test]
    fn a_short_buffer_gets_the_length_and_no_bytes() {
        let c = new_client(&replay_config());
        assert_eq!(feed(c, WINDOWS), MUXLINK_OK);
        let mut buf = [0xAAu8; 4];
        let mut len = 0usize;
        // SAFETY: `buf` holds 4 writable bytes.
        let r = unsafe { muxlink_client_pane_row_text(c, 0, 1, buf.as_mut_ptr(), 4, &mut len) };
        assert_eq!(r, MUXLINK_ERR_BUFFER_TOO_SMALL);
        assert_eq!(len, "hello from pane zero".len());
        assert_eq!(buf, [0xAA; 4], "nothing written on error");
        // SAFETY: NULL buf with a non-zero cap is refused before anything is read.
        let r = unsafe { muxlink_client_pane_row_text(c, 0, 1, std::ptr::null_mut(), 4, &mut len) };
        assert_eq!((r, len), (MUXLINK_ERR_NULL, 0));
        // SAFETY: a live handle, freed once.
        unsafe { muxlink_client_free(c) };
    }

    #[test]
    fn without_keep_state_a_closed_client_forgets_its_panes() {
        let mut config = replay_config();
        config.keep_state_on_exit = 0;
        let c = new_client(&config);
        assert_eq!(feed(c, WINDOWS), MUXLINK_OK);
        assert_eq!(row(c, 0, 0), Err(MUXLINK_ERR_NO_SUCH_PANE));
        // SAFETY: a live handle, freed once.
        unsafe { muxlink_client_free(c) };
    }

    #[test]
    fn bytes_mode_has_no_grid() {
        let mut config = replay_config();
        config.output_mode = MUXLINK_OUTPUT_BYTES;
        let c = new_client(&config);
        assert_eq!(feed(c, WINDOWS), MUXLINK_OK);
        assert_eq!(row(c, 0, 0), Err(MUXLINK_ERR_NO_GRID));
        // SAFETY: a live handle, freed once.
        unsafe { muxlink_client_free(c) };
    }

    #[test]
    fn bad_calls_are_refused() {
        let config = replay_config();
        let mut out = std::ptr::NonNull::<muxlink_client>::dangling().as_ptr(); // garbage the call must clear
                                                                                // SAFETY: each call below passes NULL where the function documents it is refused.
        unsafe {
            assert_eq!(
                muxlink_client_new(std::ptr::null(), &mut out),
                MUXLINK_ERR_NULL
            );
            assert!(out.is_null());
            assert_eq!(
                muxlink_client_new(&config, std::ptr::null_mut()),
                MUXLINK_ERR_NULL
            );
            let mut bad = config;
            bad.abi_version = 2;
            out = std::ptr::NonNull::<muxlink_client>::dangling().as_ptr();
            assert_eq!(muxlink_client_new(&bad, &mut out), MUXLINK_ERR_ABI_VERSION);
            assert!(out.is_null());
            assert_eq!(
                muxlink_client_feed(std::ptr::null_mut(), b"x".as_ptr(), 1),
                MUXLINK_ERR_NULL
            );
            let mut len = 7usize;
            assert_eq!(
                muxlink_client_pane_row_text(
                    std::ptr::null(),
                    0,
                    0,
                    std::ptr::null_mut(),
                    0,
                    &mut len
                ),
                MUXLINK_ERR_NULL
            );
            assert_eq!(len, 0);
            muxlink_client_free(std::ptr::null_mut());
        }
        let c = new_client(&config);
        // SAFETY: NULL bytes with len 0 is allowed; with len 1 refused; huge len refused.
        unsafe {
            assert_eq!(muxlink_client_feed(c, std::ptr::null(), 0), MUXLINK_OK);
            assert_eq!(
                muxlink_client_feed(c, std::ptr::null(), 1),
                MUXLINK_ERR_NULL
            );
            assert_eq!(
                muxlink_client_feed(c, b"x".as_ptr(), usize::MAX),
                MUXLINK_ERR_INVALID_ARGUMENT
            );
            muxlink_client_free(c);
        }
    }

    #[test]
    fn a_panic_poisons_the_handle() {
        let c = new_client(&replay_config());
        assert_eq!(feed(c, WINDOWS), MUXLINK_OK);
        // SAFETY: a live handle.
        let r = quietly(|| unsafe { muxlink_client::with_mut(c, |_| panic!("injected")) });
        assert_eq!(r, MUXLINK_ERR_PANIC);
        assert_eq!(feed(c, b""), MUXLINK_ERR_POISONED);
        assert_eq!(row(c, 0, 0), Err(MUXLINK_ERR_POISONED));
        // SAFETY: a poisoned handle can still be freed, once.
        unsafe { muxlink_client_free(c) };
    }
}
