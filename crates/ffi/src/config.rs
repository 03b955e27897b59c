//! `muxlink_client_config`: the sized, versioned options a client is made with.

use std::mem::size_of;
use std::time::Duration;

use muxlink_runtime::{ClientConfig, FrameDelivery, OutputMode};

use crate::boundary::{guard, required};
use crate::result::muxlink_result;
use crate::sized;
use crate::{muxlink_bool_t, MUXLINK_ABI_VERSION};

/// How a client hands pane output to the host: a `uint32_t` holding one of the
/// `MUXLINK_OUTPUT_*` values.
pub type muxlink_output_mode_t = u32;

/// Grid mode (the default, zero): muxlink emulates every pane into a grid identical to tmux's.
pub const MUXLINK_OUTPUT_GRID: muxlink_output_mode_t = 0;
/// Bytes mode: the host has its own emulator and gets each pane's output bytes
/// (`MUXLINK_EVENT_PANE_BYTES`) and rebuild sequences (`MUXLINK_EVENT_PANE_RESET`); muxlink
/// keeps no grid (`muxlink_client_pane_row_text` answers `MUXLINK_ERR_NO_GRID`).
pub const MUXLINK_OUTPUT_BYTES: muxlink_output_mode_t = 1;

/// How grid-mode frames reach the host: a `uint32_t` holding one of the `MUXLINK_FRAMES_*`
/// values.
pub type muxlink_frames_t = u32;

/// The host pulls a pane's render state when it draws (`muxlink_client_pull_frame`), told by
/// `MUXLINK_EVENT_FRAME_READY` (the default, zero).
pub const MUXLINK_FRAMES_PULL: muxlink_frames_t = 0;
/// muxlink calls the `on_frame` callback (`muxlink_client_set_callbacks`) at the end of
/// each batch, once per pane that changed.
pub const MUXLINK_FRAMES_PUSH: muxlink_frames_t = 1;

/// tmux's largest window side (`WINDOW_MAXIMUM`); larger sizes are refused.
pub(crate) const MAX_SIDE: u16 = 10_000;
/// The largest history limit accepted (lines per pane).
pub const MUXLINK_MAX_HISTORY_LIMIT: u32 = 1_000_000;

/// Options for `muxlink_client_new`. Fill it with `muxlink_client_config_init`, then change
/// the fields you need. Zero means the default for every field except `handshake` (whose
/// default, set by init, is true).
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
    /// `MUXLINK_FRAMES_PULL` (default) or `MUXLINK_FRAMES_PUSH`.
    pub frames: muxlink_frames_t,
    /// Scrollback lines captured per pane on attach (and kept by panes whose own
    /// `history-limit` is unknown). 0 means tmux's default, 2000; at most
    /// `MUXLINK_MAX_HISTORY_LIMIT`.
    pub history_limit: u32,
    /// Flow control: `refresh-client -f pause-after=N` (seconds, tmux 3.2+). 0: off.
    pub pause_after: u32,
    /// Pushed frames: the least time between two frames of one pane, in milliseconds. 0:
    /// a frame at the end of every batch.
    pub frame_interval_ms: u32,
    /// true (the default): when control mode starts, attach (ask tmux for its version,
    /// sessions, windows, panes and every pane's content). false: only decode what arrives
    /// and send nothing, as `muxlink replay` does with a recorded stream.
    pub handshake: muxlink_bool_t,
    /// true: after tmux's `%exit` (or the end of the stream) keep the session model and every
    /// pane, so they can still be read. false (the default): closing frees them.
    pub keep_state_on_exit: muxlink_bool_t,
    /// true: attach as an observer (`ignore-size,read-only`): no size is set, nothing typed.
    pub read_only: muxlink_bool_t,
    /// true: the input is a host PTY stream in which control mode starts at DCS `1000p`
    /// (`tmux -CC`); bytes outside it come back as `MUXLINK_EVENT_PASSTHROUGH`, and a DCS is
    /// reported as `MUXLINK_EVENT_CONTROL_MODE_REQUESTED` for the host to accept or decline.
    pub host_stream: muxlink_bool_t,
    /// true: in a host stream, enter control mode without waiting for
    /// `muxlink_client_accept_control_mode` (the event is still reported).
    pub auto_accept_control_mode: muxlink_bool_t,
    /// true: on `%pause`, resume the pane at once instead of waiting for
    /// `muxlink_client_resume_pane`.
    pub auto_resume: muxlink_bool_t,
}

// SAFETY: repr(C), starts with size and abi_version; every field is an integer.
unsafe impl sized::Sized for muxlink_client_config {
    fn defaults() -> Self {
        muxlink_client_config {
            size: size_of::<Self>(),
            abi_version: MUXLINK_ABI_VERSION,
            cols: 80,
            rows: 24,
            output_mode: MUXLINK_OUTPUT_GRID,
            frames: MUXLINK_FRAMES_PULL,
            history_limit: 2000,
            pause_after: 0,
            frame_interval_ms: 0,
            handshake: 1,
            keep_state_on_exit: 0,
            read_only: 0,
            host_stream: 0,
            auto_accept_control_mode: 0,
            auto_resume: 0,
        }
    }
}

/// A config as the runtime takes it.
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    pub(crate) config: ClientConfig,
}

impl muxlink_client_config {
    /// Reads a host's config: size and version first (so that no field past the host's
    /// struct is read), then every field's range.
    ///
    /// # Safety
    /// `p` passed [`required`] and points to `(*p).size` readable bytes (at least a
    /// `size_t`).
    pub(crate) unsafe fn read(p: *const Self) -> Result<Checked, muxlink_result> {
        // SAFETY: forwarded.
        let c = unsafe { sized::read(p)? };
        let bad = muxlink_result::MUXLINK_ERR_INVALID_ARGUMENT;
        let side = |v: u16, default: u16| match v {
            0 => Ok(default),
            1..=MAX_SIDE => Ok(v),
            _ => Err(bad),
        };
        let output_mode = match c.output_mode {
            MUXLINK_OUTPUT_GRID => OutputMode::Grid,
            MUXLINK_OUTPUT_BYTES => OutputMode::Bytes,
            _ => return Err(bad),
        };
        let push_frames = match c.frames {
            MUXLINK_FRAMES_PULL => false,
            MUXLINK_FRAMES_PUSH => true,
            _ => return Err(bad),
        };
        let history = match c.history_limit {
            0 => 2000,
            n if n <= MUXLINK_MAX_HISTORY_LIMIT => n as usize,
            _ => return Err(bad),
        };
        let config = ClientConfig::default()
            .with_size(side(c.cols, 80)?, side(c.rows, 24)?)
            .with_output_mode(output_mode)
            .with_frames(if push_frames {
                FrameDelivery::Push
            } else {
                FrameDelivery::Pull
            })
            .with_history_limit(history)
            .with_pause_after((c.pause_after != 0).then_some(c.pause_after))
            .with_frame_interval(
                (c.frame_interval_ms != 0)
                    .then(|| Duration::from_millis(u64::from(c.frame_interval_ms))),
            )
            .with_handshake(c.handshake != 0)
            .with_keep_state_on_exit(c.keep_state_on_exit != 0)
            .with_read_only(c.read_only != 0)
            .with_host_stream(c.host_stream != 0)
            .with_auto_accept_control_mode(c.auto_accept_control_mode != 0)
            .with_auto_resume(c.auto_resume != 0);
        Ok(Checked { config })
    }
}

/// Fills `*config` with this library's size, `MUXLINK_ABI_VERSION` and every default: 80x24,
/// grid mode, pulled frames, tmux's history limit, no flow control, handshake on, state freed
/// on exit, plain `tmux -C` input. From C this name is a macro for
/// `muxlink_client_config_init_sized(config, sizeof *config)` (define
/// `MUXLINK_NO_INIT_MACROS` to call this function itself, which writes this library's
/// `sizeof`). A NULL or misaligned `config` is ignored. Costs nothing; never fails.
///
/// # Safety
/// `config` is NULL or points to a writable `muxlink_client_config` of this library's size.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_config_init(config: *mut muxlink_client_config) {
    // SAFETY: forwarded, with this library's size.
    let _ = unsafe { muxlink_client_config_init_sized(config, size_of::<muxlink_client_config>()) };
}

/// Fills `*config` (`size` bytes: the caller's `sizeof`) as `muxlink_client_config_init`
/// does, when this library knows that size; otherwise writes nothing and returns
/// `MUXLINK_ERR_STRUCT_SIZE`. Errors: `MUXLINK_ERR_NULL`, `MUXLINK_ERR_MISALIGNED`,
/// `MUXLINK_ERR_STRUCT_SIZE`.
///
/// # Safety
/// `config` is NULL or points to `size` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_config_init_sized(
    config: *mut muxlink_client_config,
    size: usize,
) -> muxlink_result {
    guard(|| {
        required(config)?;
        // SAFETY: checked non-NULL and aligned; `size` writable bytes (the caller's promise).
        unsafe { sized::init(config, size) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::MaybeUninit;

    fn inited() -> muxlink_client_config {
        let mut c = MaybeUninit::uninit();
        // SAFETY: init writes the whole struct.
        unsafe {
            muxlink_client_config_init(c.as_mut_ptr());
            c.assume_init()
        }
    }

    fn read(c: &muxlink_client_config) -> Result<Checked, muxlink_result> {
        // SAFETY: a whole struct on the stack.
        unsafe { muxlink_client_config::read(c) }
    }

    #[test]
    fn init_fills_the_defaults() {
        let c = inited();
        assert_eq!(c.size, size_of::<muxlink_client_config>());
        assert_eq!(c.abi_version, MUXLINK_ABI_VERSION);
        let r = read(&c).unwrap().config;
        assert_eq!((r.cols, r.rows), (80, 24));
        assert_eq!(r.output_mode, OutputMode::Grid);
        assert_eq!(r.frames, FrameDelivery::Pull);
        assert_eq!(r.history_limit, 2000);
        assert!(r.handshake);
        assert!(!r.keep_state_on_exit && !r.read_only && !r.host_stream);
        assert_eq!(r.pause_after, None);
        assert_eq!(r.frame_interval, None);
    }

    #[test]
    fn zero_means_default() {
        let mut c = inited();
        c.cols = 0;
        c.rows = 0;
        c.history_limit = 0;
        let r = read(&c).unwrap().config;
        assert_eq!((r.cols, r.rows, r.history_limit), (80, 24, 2000));
        c.pause_after = 3;
        c.frame_interval_ms = 16;
        c.frames = MUXLINK_FRAMES_PUSH;
        let r = read(&c).unwrap();
        assert_eq!(r.config.pause_after, Some(3));
        assert_eq!(r.config.frame_interval, Some(Duration::from_millis(16)));
        assert_eq!(r.config.frames, FrameDelivery::Push);
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
        for f in [
            |c: &mut muxlink_client_config| c.cols = MAX_SIDE + 1,
            |c: &mut muxlink_client_config| c.rows = u16::MAX,
            |c: &mut muxlink_client_config| c.output_mode = 2,
            |c: &mut muxlink_client_config| c.frames = 9,
            |c: &mut muxlink_client_config| c.history_limit = MUXLINK_MAX_HISTORY_LIMIT + 1,
        ] {
            let mut c = ok;
            f(&mut c);
            assert_eq!(read(&c).unwrap_err(), MUXLINK_ERR_INVALID_ARGUMENT);
        }
        let mut c = ok;
        c.handshake = 0x55;
        assert!(
            read(&c).unwrap().config.handshake,
            "any non-zero byte is true"
        );
    }

    #[test]
    fn init_sized_writes_nothing_for_an_unknown_size() {
        let mut c = MaybeUninit::<[u64; 16]>::new([0xEEEE_EEEE_EEEE_EEEE; 16]);
        let p = c.as_mut_ptr().cast::<muxlink_client_config>();
        // SAFETY: 128 writable, aligned bytes.
        let r = unsafe { muxlink_client_config_init_sized(p, 16) };
        assert_eq!(r, muxlink_result::MUXLINK_ERR_STRUCT_SIZE);
        // SAFETY: initialised above.
        assert!(unsafe { c.assume_init() }
            .iter()
            .all(|&w| w == 0xEEEE_EEEE_EEEE_EEEE));
        // SAFETY: as above, with this library's size.
        let r = unsafe { muxlink_client_config_init_sized(p, size_of::<muxlink_client_config>()) };
        assert_eq!(r, muxlink_result::MUXLINK_OK);
    }

    #[test]
    fn init_ignores_null() {
        // SAFETY: NULL is documented as ignored.
        unsafe { muxlink_client_config_init(std::ptr::null_mut()) };
        // SAFETY: as above.
        let r = unsafe { muxlink_client_config_init_sized(std::ptr::null_mut(), 48) };
        assert_eq!(r, muxlink_result::MUXLINK_ERR_NULL);
    }
}
