//! `muxlink_client_config`: the sized, versioned options a client is made with.

use std::mem::{offset_of, size_of};

use muxlink_runtime::{ClientConfig, OutputMode};

use crate::boundary::{guard, required, FfiResult};
use crate::result::muxlink_result;
use crate::{muxlink_bool_t, MUXLINK_ABI_VERSION};

/// How a client hands pane output to the host: a `uint32_t` holding one of the
/// `MUXLINK_OUTPUT_*` values.
pub type muxlink_output_mode_t = u32;

/// Grid mode (the default, zero): muxlink emulates every pane into a grid identical to tmux's.
pub const MUXLINK_OUTPUT_GRID: muxlink_output_mode_t = 0;
/// Bytes mode: the host has its own emulator and gets each pane's output bytes; muxlink keeps
/// no grid (`muxlink_client_pane_row_text` answers `MUXLINK_ERR_NO_GRID`).
pub const MUXLINK_OUTPUT_BYTES: muxlink_output_mode_t = 1;

/// tmux's largest window side (`WINDOW_MAXIMUM`); larger sizes are refused.
const MAX_SIDE: u16 = 10_000;

/// Options for `muxlink_client_new`. Fill it with `muxlink_client_config_init`, then change
/// the fields you need. Zero means the default for every field except `handshake`.
///
/// Layout: this struct changes only together with `MUXLINK_ABI_VERSION`;
/// `muxlink_client_new` refuses a `size` or `abi_version` other than this library's.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct muxlink_client_config {
    /// `sizeof(muxlink_client_config)`, set by `muxlink_client_config_init`.
    pub size: usize,
    /// `MUXLINK_ABI_VERSION`, set by `muxlink_client_config_init`.
    pub abi_version: u32,
    /// The client's width in cells: the size asked of tmux, and the size of a pane seen
    /// before any layout placed it. 0 means 80; at most 10000 (tmux's limit).
    pub cols: u16,
    /// The client's height in cells. 0 means 24; at most 10000.
    pub rows: u16,
    /// `MUXLINK_OUTPUT_GRID` (default) or `MUXLINK_OUTPUT_BYTES`.
    pub output_mode: muxlink_output_mode_t,
    /// true (the default): when control mode starts, attach (ask tmux for its version,
    /// sessions, windows, panes and every pane's content). false: only decode what arrives
    /// and send nothing, as `muxlink replay` does with a recorded stream.
    pub handshake: muxlink_bool_t,
    /// true: after tmux's `%exit` (or the end of the stream) keep the session model and every
    /// pane, so they can still be read. false (the default): closing frees them.
    pub keep_state_on_exit: muxlink_bool_t,
}

impl muxlink_client_config {
    /// The defaults `muxlink_client_config_init` writes.
    fn defaults() -> Self {
        muxlink_client_config {
            size: size_of::<Self>(),
            abi_version: MUXLINK_ABI_VERSION,
            cols: 80,
            rows: 24,
            output_mode: MUXLINK_OUTPUT_GRID,
            handshake: 1,
            keep_state_on_exit: 0,
        }
    }

    /// Reads a host's config: size and version first (so that no field past the host's
    /// struct is read), then every field's range.
    ///
    /// # Safety
    /// `p` passed [`required`] and points to at least `size_of::<usize>()` readable bytes,
    /// and to `(*p).size` readable bytes when that is at least the size of this struct.
    pub(crate) unsafe fn read(p: *const Self) -> Result<ClientConfig, muxlink_result> {
        // SAFETY: the caller guarantees the first field is readable.
        let size = unsafe { std::ptr::addr_of!((*p).size).read() };
        if size < offset_of!(Self, abi_version) + size_of::<u32>() {
            return Err(muxlink_result::MUXLINK_ERR_STRUCT_SIZE);
        }
        // SAFETY: `size` covers abi_version, and the host promises `size` readable bytes.
        let version = unsafe { std::ptr::addr_of!((*p).abi_version).read() };
        if version != MUXLINK_ABI_VERSION {
            return Err(muxlink_result::MUXLINK_ERR_ABI_VERSION);
        }
        if size != size_of::<Self>() {
            return Err(muxlink_result::MUXLINK_ERR_STRUCT_SIZE);
        }
        // SAFETY: the whole struct is readable (size checked), and every field is an integer,
        // for which any bit pattern is valid.
        let c = unsafe { p.read() };
        let side = |v: u16, default: u16| match v {
            0 => Ok(default),
            1..=MAX_SIDE => Ok(v),
            _ => Err(muxlink_result::MUXLINK_ERR_INVALID_ARGUMENT),
        };
        let output_mode = match c.output_mode {
            MUXLINK_OUTPUT_GRID => OutputMode::Grid,
            MUXLINK_OUTPUT_BYTES => OutputMode::Bytes,
            _ => return Err(muxlink_result::MUXLINK_ERR_INVALID_ARGUMENT),
        };
        Ok(ClientConfig::default()
            .with_size(side(c.cols, 80)?, side(c.rows, 24)?)
            .with_output_mode(output_mode)
            .with_handshake(c.handshake != 0)
            .with_keep_state_on_exit(c.keep_state_on_exit != 0))
    }
}

/// Fills `*config` with this library's size, `MUXLINK_ABI_VERSION` and every default: 80x24,
/// grid mode, handshake on, state freed on exit. Writes `sizeof(muxlink_client_config)` as
/// this library defines it, so check `muxlink_abi_version()` against the header's
/// `MUXLINK_ABI_VERSION` before the first call. A NULL or misaligned `config` is ignored.
/// Costs nothing; never fails.
///
/// # Safety
/// `config` is NULL or points to a writable `muxlink_client_config`.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_config_init(config: *mut muxlink_client_config) {
    let _ = guard(|| -> FfiResult {
        required(config)?;
        // SAFETY: non-NULL and aligned (checked), writable by the caller's promise. Zeroing
        // first gives the padding a known value too.
        unsafe {
            config.write_bytes(0, 1);
            config.write(muxlink_client_config::defaults());
        }
        Ok(())
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inited() -> muxlink_client_config {
        let mut c = std::mem::MaybeUninit::<muxlink_client_config>::uninit();
        // SAFETY: a valid, writable, aligned pointer; init writes the whole struct.
        unsafe {
            muxlink_client_config_init(c.as_mut_ptr());
            c.assume_init()
        }
    }

    fn read(c: &muxlink_client_config) -> Result<ClientConfig, muxlink_result> {
        // SAFETY: a whole struct borrowed from the test.
        unsafe { muxlink_client_config::read(c) }
    }

    #[test]
    fn init_fills_size_version_and_defaults() {
        let c = inited();
        assert_eq!(c.size, size_of::<muxlink_client_config>());
        assert_eq!(c.abi_version, MUXLINK_ABI_VERSION);
        let r = read(&c).unwrap();
        assert_eq!((r.cols, r.rows), (80, 24));
        assert_eq!(r.output_mode, OutputMode::Grid);
        assert!(r.handshake);
        assert!(!r.keep_state_on_exit);
    }

    #[test]
    fn zero_means_default_for_sizes() {
        let mut c = inited();
        c.cols = 0;
        c.rows = 0;
        let r = read(&c).unwrap();
        assert_eq!((r.cols, r.rows), (80, 24));
    }

    #[test]
    fn wrong_size_version_or_range_is_refused() {
        use muxlink_result::*;
        let ok = inited();
        let mut c = ok;
        c.size -= 1;
        assert_eq!(read(&c).unwrap_err(), MUXLINK_ERR_STRUCT_SIZE);
        c.size = 0;
        assert_eq!(read(&c).unwrap_err(), MUXLINK_ERR_STRUCT_SIZE);
        c.size = usize::MAX;
        assert_eq!(read(&c).unwrap_err(), MUXLINK_ERR_STRUCT_SIZE);
        let mut c = ok;
        c.abi_version = 0;
        assert_eq!(read(&c).unwrap_err(), MUXLINK_ERR_ABI_VERSION);
        c.abi_version = MUXLINK_ABI_VERSION + 1;
        assert_eq!(read(&c).unwrap_err(), MUXLINK_ERR_ABI_VERSION);
        let mut c = ok;
        c.cols = MAX_SIDE + 1;
        assert_eq!(read(&c).unwrap_err(), MUXLINK_ERR_INVALID_ARGUMENT);
        let mut c = ok;
        c.output_mode = 2;
        assert_eq!(read(&c).unwrap_err(), MUXLINK_ERR_INVALID_ARGUMENT);
        let mut c = ok;
        c.handshake = 0x55;
        assert!(read(&c).unwrap().handshake, "any non-zero byte is true");
    }

    #[test]
    fn init_ignores_null() {
        // SAFETY: NULL is documented as ignored.
        unsafe { muxlink_client_config_init(std::ptr::null_mut()) };
    }
}
