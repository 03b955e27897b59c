//! `ffi`: what a host pays for going through the C ABI instead of the Rust API, both in one
//! process on the same bytes.
//!
//! The C side is the real `libmuxlink.so` that `cargo build --release` builds next to this
//! binary (or the file `$MUXLINK_BENCH_FFI_LIB` names), opened with `dlopen` and called
//! through the function pointers `dlsym` returns, as a C or Zig host calls it: no inlining
//! across the boundary, the library's own copy of the runtime. (Linking `muxlink-ffi` as a
//! Rust crate would let LTO inline the exports, and its allocator hook would clash with this
//! binary's counting allocator.) The Rust side is this binary's `muxlink-runtime`, built from
//! the same sources with the same profile.
//!
//! Workloads (rows, impl `muxlink`):
//! - `call`: the smallest host-to-muxlink call, `muxlink_client_is_closed` (panic boundary,
//!   pointer and poison checks, the call itself) against `Client::is_closed`:
//!   `ns_per_call` and `rust_ns_per_call`, minimum over batches.
//! - `callback`: a muxlink-to-host callback. `ns_per_call` (= `crossing_ns_per_call`) is the
//!   crossing itself: the library's probe export `muxlink_probe_push_events` pushes one
//!   bytes event many times by the path a client's events take (the runtime's `dyn Host`,
//!   the C ABI host filling a `muxlink_event`, the C `on_event` called with its userdata),
//!   against the same event pushed through `dyn Host` to a Rust `Host`
//!   (`crossing_rust_ns_per_call`). `delivery_ns_per_event`: the whole delivery, a bytes-mode
//!   client fed 64 `%output` lines per call, per event pushed to the C `on_event`, against
//!   this binary's runtime and a Rust `Host` (`delivery_rust_ns_per_event`; their difference
//!   also holds the two builds of the runtime differing).
//! - `remote`: an operation queued from another handle (`muxlink_remote_send_input`, its wake
//!   function included) and run by `muxlink_client_on_wake`, against `Client::send_input`
//!   (`ns_per_op`, `rust_ns_per_op`). One thread: the CPU the queueing costs, not the
//!   scheduler's latency.
//! - `pipeline/<stream>`: the pipeline group's control streams fed in [`DISPATCH_CHUNK`]
//!   pieces, every event drained and, on each frame-ready event, the pane's dirty rows read,
//!   once through C and once through Rust, in rotating rounds (C, Rust, Rust again), on the
//!   suite's clock. The C side reads them as a host drawing cells does, with
//!   `muxlink_frame_rows` into a buffer of [`ROWS_PER_CALL`] row views (one call per frame
//!   unless more rows changed), the Rust side with `Frame::row` per dirty row. `overhead_pct` = (min C - min Rust) / min Rust; `noise_pct` the same
//!   between the two Rust sets (A/A: the method's noise here); `*_paired_median` / `_iqr`:
//!   C against the Rust run of the same round, per round; `overhead_pct_model` = the calls a
//!   C run makes times the `call` row's extra cost per call, over the Rust run's time.
//!   `overhead_pct_instructions` (the verdict, when valgrind is installed and not in
//!   `--quick`): callgrind's instruction count of one warm run through C against one through
//!   Rust, each in a child process of this binary, split into the C ABI layer's own code
//!   (`_ffi_layer`) and the rest (`_rest`). Before timing, both sides must report the same
//!   events and read the same cells; measured runs read each row's length and end cells
//!   only (see [`Tally::full`]).

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::ptr;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use muxlink_runtime::{
    Client, ClientConfig, ClientEvent, EventQueue, FrameDelivery, Host, OutputMode, PaneId,
};
use serde_json::Value;

use super::pipeline::{self, Stream, StreamSpec};
use super::{round2, Context, Group, Row};
use crate::measure::Budget;

/// Gate: a crossing must cost less than this, ns per call (host to muxlink and back).
pub const GATE_NS: f64 = 50.0;
/// Target: ns per call.
pub const TARGET_NS: f64 = 5.0;
/// Target: the pipeline through C at most this much slower than through Rust, percent.
pub const OVERHEAD_PCT: f64 = 2.0;

/// Bytes per `feed` in the pipeline runs: what a host's read of tmux's pipe or PTY returns
/// under load. Smaller pieces mean more crossings for the same work.
pub const DISPATCH_CHUNK: usize = 4096;

/// The ABI version these declarations follow.
const ABI_VERSION: u32 = 1;
const OK: c_int = 0;
const EVENT_NONE: u32 = 0;
const EVENT_FRAME_READY: u32 = 27;
const EVENT_PANE_BYTES: u32 = 28;
const OUTPUT_GRID: u32 = 0;
const OUTPUT_BYTES: u32 = 1;

// The structs this group reads, as `include/muxlink.h` lays them out (ABI version 1). The
// library's `_init` functions write their own `size`; `Lib::open` refuses a library whose
// sizes differ. Fields this group never reads still have to be there (the layout), hence the
// `dead_code` allowances.

#[repr(C)]
#[derive(Clone, Copy)]
#[allow(dead_code)]
struct Config {
    size: usize,
    abi_version: u32,
    cols: u16,
    rows: u16,
    output_mode: u32,
    frames: u32,
    history_limit: u32,
    pause_after: u32,
    frame_interval_ms: u32,
    handshake: u8,
    keep_state_on_exit: u8,
    read_only: u8,
    host_stream: u8,
    auto_accept_control_mode: u8,
    auto_resume: u8,
}

#[repr(C)]
#[derive(Clone, Copy)]
#[allow(dead_code)]
struct Event {
    size: usize,
    abi_version: u32,
    kind: u32,
    pane: u32,
    window: u32,
    session: u32,
    detail: u32,
    cols: u16,
    rows: u16,
    ok: u8,
    command: u64,
    number: u64,
    exit_code: i32,
    exit_signal: i32,
    os_error: i32,
    data: *const u8,
    data_len: usize,
    extra: *const u8,
    extra_len: usize,
}

#[repr(C)]
#[derive(Clone, Copy)]
#[allow(dead_code)]
struct RenderState {
    size: usize,
    abi_version: u32,
    pane: u32,
    window: u32,
    cols: u16,
    rows: u16,
    cursor_x: u16,
    cursor_y: u16,
    cursor_visible: u8,
    alternate: u8,
    full: u8,
    has_title: u8,
    modes: u32,
    scrolled: u32,
    dirty_rows: *const u16,
    dirty_len: usize,
    title: *const u8,
    title_len: usize,
    frame: *const c_void,
}

#[repr(C)]
#[derive(Clone, Copy)]
#[allow(dead_code)]
struct Cell {
    ch: u32,
    fg: u32,
    bg: u32,
    attrs: u16,
    flags: u8,
    ul_color: u8,
}

/// `muxlink_row`: one row `muxlink_frame_rows` hands out.
#[repr(C)]
#[derive(Clone, Copy)]
struct RowView {
    cells: *const Cell,
    len: usize,
}

/// Rows a C host's drain reads per `muxlink_frame_rows` call: a buffer on its stack; a
/// frame with more dirty rows takes more calls.
const ROWS_PER_CALL: usize = 128;

/// The host's buffer for `muxlink_frame_rows`.
type Views = [RowView; ROWS_PER_CALL];

const NO_VIEWS: Views = [RowView {
    cells: ptr::null(),
    len: 0,
}; ROWS_PER_CALL];

type EventFn = unsafe extern "C" fn(*mut c_void, *const Event);

#[repr(C)]
#[derive(Clone, Copy)]
#[allow(dead_code)]
struct Callbacks {
    size: usize,
    abi_version: u32,
    userdata: *mut c_void,
    destroy: Option<unsafe extern "C" fn(*mut c_void)>,
    on_event: Option<EventFn>,
    on_frame: Option<unsafe extern "C" fn(*mut c_void, *const c_void)>,
}

/// Opaque handles.
type ClientPtr = *mut c_void;

/// The exports this group calls, resolved from the loaded library.
struct Lib {
    abi_version: unsafe extern "C" fn() -> u32,
    config_init: unsafe extern "C" fn(*mut Config),
    event_init: unsafe extern "C" fn(*mut Event),
    render_state_init: unsafe extern "C" fn(*mut RenderState),
    callbacks_init: unsafe extern "C" fn(*mut Callbacks),
    new: unsafe extern "C" fn(*const Config, *mut ClientPtr) -> c_int,
    free: unsafe extern "C" fn(ClientPtr),
    feed: unsafe extern "C" fn(ClientPtr, *const u8, usize) -> c_int,
    is_closed: unsafe extern "C" fn(ClientPtr, *mut u8) -> c_int,
    next_event: unsafe extern "C" fn(ClientPtr, *mut Event) -> c_int,
    pull_frame: unsafe extern "C" fn(ClientPtr, u32, *mut RenderState) -> c_int,
    frame_rows: unsafe extern "C" fn(*const c_void, *const u16, usize, *mut RowView) -> c_int,
    set_callbacks: unsafe extern "C" fn(ClientPtr, *const Callbacks) -> c_int,
    set_waker: unsafe extern "C" fn(
        ClientPtr,
        Option<unsafe extern "C" fn(*mut c_void)>,
        *mut c_void,
        Option<unsafe extern "C" fn(*mut c_void)>,
    ) -> c_int,
    remote: unsafe extern "C" fn(ClientPtr, *mut *mut c_void) -> c_int,
    remote_free: unsafe extern "C" fn(*mut c_void),
    remote_send_input: unsafe extern "C" fn(*mut c_void, u32, *const u8, usize) -> c_int,
    on_wake: unsafe extern "C" fn(ClientPtr) -> c_int,
    outgoing: unsafe extern "C" fn(ClientPtr, *mut *const u8, *mut usize) -> c_int,
    consume_outgoing: unsafe extern "C" fn(ClientPtr, usize) -> c_int,
    /// The benchmark probe (not in the header): `n` bytes events pushed to `on_event` by
    /// the library's own path (src/probe.rs in muxlink-ffi).
    probe_push_events: unsafe extern "C" fn(*const Callbacks, u32, *const u8, usize, u64) -> c_int,
}

/// Where `libmuxlink.so` is looked for: `$MUXLINK_BENCH_FFI_LIB`, else next to this binary
/// (`target/release/`), else one folder up (a test binary in `target/*/deps/`).
pub fn library_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("MUXLINK_BENCH_FFI_LIB") {
        return Some(PathBuf::from(p));
    }
    let name = format!(
        "{}muxlink{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    );
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    [dir.join(&name), dir.parent()?.join(&name)]
        .into_iter()
        .find(|p| p.is_file())
}

#[allow(unsafe_code)]
mod dl {
    use super::*;

    /// Opens a shared library for good (it is never closed: a Rust library's thread-local
    /// destructors may still point into it).
    pub(super) fn open(path: &Path) -> Result<*mut c_void> {
        let c = CString::new(path.as_os_str().as_encoded_bytes())?;
        // SAFETY: a NUL-terminated path; dlopen runs the library's initialisers, which for a
        // Rust cdylib register nothing global.
        let h = unsafe { libc::dlopen(c.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
        if h.is_null() {
            bail!("dlopen {}: {}", path.display(), last_error());
        }
        Ok(h)
    }

    /// The address of `name` in the library `h`.
    pub(super) fn sym(h: *mut c_void, name: &str) -> Result<*mut c_void> {
        let c = CString::new(name)?;
        // SAFETY: a live handle from `open` and a NUL-terminated name.
        let p = unsafe { libc::dlsym(h, c.as_ptr()) };
        if p.is_null() {
            bail!("dlsym {name}: {}", last_error());
        }
        Ok(p)
    }

    /// The function `name` in the library `h`, as the function pointer type `F`.
    ///
    /// # Safety
    /// `F` is a function pointer type matching the export's C signature.
    pub(super) unsafe fn func<F: Copy>(h: *mut c_void, name: &str) -> Result<F> {
        assert_eq!(
            size_of::<F>(),
            size_of::<*mut c_void>(),
            "{name}: not a pointer"
        );
        let p = sym(h, name)?;
        // SAFETY: a non-NULL code address of the export, reinterpreted as the caller's
        // matching function pointer type (same size, checked above).
        Ok(unsafe { std::mem::transmute_copy::<*mut c_void, F>(&p) })
    }

    fn last_error() -> String {
        // SAFETY: dlerror returns NULL or a NUL-terminated string valid until the next dl*
        // call on this thread; it is copied at once.
        let e: *const c_char = unsafe { libc::dlerror() };
        if e.is_null() {
            "unknown error".into()
        } else {
            // SAFETY: as above.
            unsafe { CStr::from_ptr(e) }.to_string_lossy().into_owned()
        }
    }
}

#[allow(unsafe_code)]
impl Lib {
    /// Loads the library and checks that it is the ABI these declarations describe.
    fn open(path: &Path) -> Result<Lib> {
        let h = dl::open(path)?;
        macro_rules! f {
            ($name:literal) => {{
                // SAFETY: the symbol is the export of that name, whose C signature (per
                // include/muxlink.h, ABI version 1, checked below) is the field's type.
                unsafe { dl::func(h, $name)? }
            }};
        }
        let lib = Lib {
            abi_version: f!("muxlink_abi_version"),
            config_init: f!("muxlink_client_config_init"),
            event_init: f!("muxlink_event_init"),
            render_state_init: f!("muxlink_render_state_init"),
            callbacks_init: f!("muxlink_callbacks_init"),
            new: f!("muxlink_client_new"),
            free: f!("muxlink_client_free"),
            feed: f!("muxlink_client_feed"),
            is_closed: f!("muxlink_client_is_closed"),
            next_event: f!("muxlink_client_next_event"),
            pull_frame: f!("muxlink_client_pull_frame"),
            frame_rows: f!("muxlink_frame_rows"),
            set_callbacks: f!("muxlink_client_set_callbacks"),
            set_waker: f!("muxlink_client_set_waker"),
            remote: f!("muxlink_client_remote"),
            remote_free: f!("muxlink_remote_free"),
            remote_send_input: f!("muxlink_remote_send_input"),
            on_wake: f!("muxlink_client_on_wake"),
            outgoing: f!("muxlink_client_outgoing"),
            consume_outgoing: f!("muxlink_client_consume_outgoing"),
            probe_push_events: f!("muxlink_probe_push_events"),
        };
        // SAFETY: takes no arguments.
        let v = unsafe { (lib.abi_version)() };
        if v != ABI_VERSION {
            bail!(
                "{}: ABI version {v}, this benchmark knows {ABI_VERSION}",
                path.display()
            );
        }
        let (c, e, r, b) = (
            lib.config(),
            lib.event(),
            lib.render_state(),
            lib.callbacks(),
        );
        let sizes = [
            (c.size, size_of::<Config>()),
            (e.size, size_of::<Event>()),
            (r.size, size_of::<RenderState>()),
            (b.size, size_of::<Callbacks>()),
        ];
        if sizes.iter().any(|(lib, ours)| lib != ours) {
            bail!(
                "{}: struct sizes {sizes:?} differ from this benchmark's",
                path.display()
            );
        }
        Ok(lib)
    }

    fn config(&self) -> Config {
        // SAFETY: all-zero is a valid `Config` (integers); init overwrites it whole.
        let mut c: Config = unsafe { std::mem::zeroed() };
        // SAFETY: a writable struct of the library's layout (sizes checked in `open`; before
        // that, `Config` is at least as large as ABI 1's).
        unsafe { (self.config_init)(&mut c) };
        c
    }

    fn event(&self) -> Event {
        // SAFETY: all-zero is valid (integers, NULL pointers); init fills it.
        let mut e: Event = unsafe { std::mem::zeroed() };
        // SAFETY: as in `config`.
        unsafe { (self.event_init)(&mut e) };
        e
    }

    fn render_state(&self) -> RenderState {
        // SAFETY: as in `event`.
        let mut r: RenderState = unsafe { std::mem::zeroed() };
        // SAFETY: as in `config`.
        unsafe { (self.render_state_init)(&mut r) };
        r
    }

    fn callbacks(&self) -> Callbacks {
        // SAFETY: as in `event` (None function pointers).
        let mut b: Callbacks = unsafe { std::mem::zeroed() };
        // SAFETY: as in `config`.
        unsafe { (self.callbacks_init)(&mut b) };
        b
    }

    /// A decode-only client (handshake off) of the given size and output mode.
    fn client(&self, cols: u16, rows: u16, mode: u32) -> Result<CClient<'_>> {
        let mut cfg = self.config();
        cfg.cols = cols;
        cfg.rows = rows;
        cfg.output_mode = mode;
        cfg.handshake = 0;
        let mut p = ptr::null_mut();
        // SAFETY: a whole config and a writable out pointer.
        let r = unsafe { (self.new)(&cfg, &mut p) };
        if r != OK || p.is_null() {
            bail!("muxlink_client_new: {r}");
        }
        Ok(CClient { lib: self, p })
    }
}

/// A client made through the C ABI, freed on drop.
struct CClient<'a> {
    lib: &'a Lib,
    p: ClientPtr,
}

#[allow(unsafe_code)]
impl CClient<'_> {
    fn feed(&self, bytes: &[u8]) -> c_int {
        // SAFETY: a live handle; the slice is borrowed for the call.
        unsafe { (self.lib.feed)(self.p, bytes.as_ptr(), bytes.len()) }
    }

    /// Drains the event queue; on each frame-ready event reads the pane's dirty rows, up to
    /// [`ROWS_PER_CALL`] per `muxlink_frame_rows` call into the host's `views`. Counts the
    /// events, the calls made and the cells read into `tally`.
    fn drain(&self, ev: &mut Event, rs: &mut RenderState, views: &mut Views, tally: &mut Tally) {
        loop {
            // SAFETY: a live handle and an initialised event.
            unsafe { (self.lib.next_event)(self.p, ev) };
            tally.calls += 1;
            match ev.kind {
                EVENT_NONE => return,
                EVENT_FRAME_READY => {
                    // SAFETY: a live handle and an initialised render state.
                    let r = unsafe { (self.lib.pull_frame)(self.p, ev.pane, rs) };
                    tally.calls += 1;
                    if r == OK && rs.dirty_len > 0 {
                        // SAFETY: the library's array of `dirty_len` rows, valid until the
                        // next mutating call on this client.
                        let dirty =
                            unsafe { std::slice::from_raw_parts(rs.dirty_rows, rs.dirty_len) };
                        for part in dirty.chunks(ROWS_PER_CALL) {
                            // SAFETY: the frame of the pull above, still valid; `part.len()`
                            // row numbers and as many writable views.
                            unsafe {
                                (self.lib.frame_rows)(
                                    rs.frame,
                                    part.as_ptr(),
                                    part.len(),
                                    views.as_mut_ptr(),
                                )
                            };
                            tally.calls += 1;
                            for v in &views[..part.len()] {
                                if v.len > 0 {
                                    // SAFETY: `len` cells the library owns, valid as above.
                                    let row = unsafe { std::slice::from_raw_parts(v.cells, v.len) };
                                    tally.add_row(row, |c| c.ch);
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
            tally.events += 1;
        }
    }
}

impl Drop for CClient<'_> {
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        // SAFETY: the handle `new` made, freed once.
        unsafe { (self.lib.free)(self.p) };
    }
}

/// What a pipeline run did: both sides must end with the same counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Events taken (frame-ready included).
    pub events: u64,
    /// Cells read from dirty rows.
    pub cells: u64,
    /// A checksum of the characters read.
    pub chars: u64,
    /// Calls into the library (C side only; 0 on the Rust side).
    pub calls: u64,
    /// Whether `chars` covers every character read (the check run), or only each row's
    /// first and last (measured runs: the host's own loop over cells then costs the same
    /// on both sides, whose cell types differ, and does not hide the crossing's cost).
    pub full: bool,
}

impl Tally {
    /// A tally for a check run (`full`) or a measured one.
    fn new(full: bool) -> Self {
        Tally {
            full,
            ..Tally::default()
        }
    }

    /// Counts a row of cells and folds their characters (`ch` reads one) into `chars`.
    fn add_row<T>(&mut self, row: &[T], ch: impl Fn(&T) -> u32) {
        let fold = |sum: u64, c: &T| sum.wrapping_mul(31).wrapping_add(u64::from(ch(c)));
        self.cells += row.len() as u64;
        self.chars = if self.full {
            row.iter().fold(self.chars, fold)
        } else {
            [row.first(), row.last()]
                .into_iter()
                .flatten()
                .fold(self.chars, fold)
        };
    }

    fn same_work(&self, other: &Tally) -> bool {
        (self.events, self.cells, self.chars) == (other.events, other.cells, other.chars)
    }
}

fn rust_config(cols: u16, rows: u16, mode: OutputMode) -> ClientConfig {
    ClientConfig::default()
        .with_size(cols, rows)
        .with_output_mode(mode)
        .with_frames(FrameDelivery::Pull)
        .with_handshake(false)
        .with_keep_state_on_exit(false)
}

/// One pipeline run through C: `(time, tally)`; the client is freed untimed.
fn run_c(
    lib: &Lib,
    spec: &StreamSpec,
    bytes: &[u8],
    budget: &Budget,
    full: bool,
) -> Result<(Duration, Tally)> {
    let c = lib.client(spec.cols, spec.rows, OUTPUT_GRID)?;
    let (mut ev, mut rs, mut views) = (lib.event(), lib.render_state(), NO_VIEWS);
    let mut tally = Tally::new(full);
    let t = budget.clock.now();
    for chunk in bytes.chunks(DISPATCH_CHUNK) {
        let r = c.feed(chunk);
        tally.calls += 1;
        if r != OK {
            bail!("muxlink_client_feed: {r}");
        }
        c.drain(&mut ev, &mut rs, &mut views, &mut tally);
    }
    let time = t.elapsed();
    drop(c);
    Ok((time, tally))
}

/// The same run through the Rust API.
fn run_rust(spec: &StreamSpec, bytes: &[u8], budget: &Budget, full: bool) -> (Duration, Tally) {
    let mut c = Client::new(rust_config(spec.cols, spec.rows, OutputMode::Grid));
    let mut q = EventQueue::new();
    let mut tally = Tally::new(full);
    let t = budget.clock.now();
    for chunk in bytes.chunks(DISPATCH_CHUNK) {
        let now = Instant::now();
        c.receive(chunk, now, &mut q);
        c.flush_frames(now, &mut q);
        while let Some(e) = q.poll_event() {
            if let ClientEvent::FrameReady { pane } = e {
                if let Some(frame) = c.pull_frame(pane) {
                    for &y in frame.dirty_rows() {
                        if let Some(row) = frame.row(y) {
                            tally.add_row(row, |c| c.ch);
                        }
                    }
                }
            }
            tally.events += 1;
        }
    }
    let time = t.elapsed();
    black_box(&c);
    (time, tally)
}

/// Rounds of C, Rust, Rust again in rotating order.
struct PipelineRuns {
    c: Vec<Duration>,
    rust: Vec<Duration>,
    again: Vec<Duration>,
    tally: Tally,
    /// C against Rust per round, percent: (median, quartiles).
    paired: (f64, f64, f64),
    /// Rust again against Rust per round (A/A).
    paired_aa: (f64, f64, f64),
}

fn pct(base: Duration, other: Duration) -> f64 {
    let b = base.as_secs_f64();
    (other.as_secs_f64() - b) / b.max(1e-12) * 100.0
}

fn measure_pipeline(
    lib: &Lib,
    stream: &Stream,
    budget: &Budget,
    (min_rounds, max_rounds, time): (usize, usize, Duration),
) -> Result<PipelineRuns> {
    let spec = &stream.spec;
    let bytes = &stream.bytes;
    // Warm-up, and the check that both sides do the same work.
    let (_, tc) = run_c(lib, spec, bytes, budget, true)?;
    let (_, tr) = run_rust(spec, bytes, budget, true);
    if !tc.same_work(&tr) {
        bail!(
            "ffi/pipeline/{}: C and Rust did different work: {tc:?} vs {tr:?}",
            spec.name
        );
    }
    if tc.cells == 0 {
        bail!("ffi/pipeline/{}: no cells read", spec.name);
    }
    let mut runs = PipelineRuns {
        c: Vec::new(),
        rust: Vec::new(),
        again: Vec::new(),
        tally: tc,
        paired: (0.0, 0.0, 0.0),
        paired_aa: (0.0, 0.0, 0.0),
    };
    let start = Instant::now();
    let mut i = 0;
    while i < max_rounds && (i < min_rounds || start.elapsed() < time) {
        for slot in 0..3 {
            match (slot + i) % 3 {
                0 => runs.c.push(run_c(lib, spec, bytes, budget, false)?.0),
                1 => runs.rust.push(run_rust(spec, bytes, budget, false).0),
                _ => runs.again.push(run_rust(spec, bytes, budget, false).0),
            }
        }
        i += 1;
    }
    // Paired per round (each C run beside the Rust runs of its round) before sorting.
    runs.paired = paired(&runs.rust, &runs.c);
    runs.paired_aa = paired(&runs.rust, &runs.again);
    runs.c.sort();
    runs.rust.sort();
    runs.again.sort();
    Ok(runs)
}

/// Nanoseconds per call of `f`: the minimum over `batches` batches of `n` calls, each timed
/// on the wall clock. Batches are short (well under a scheduler slice) and many, so that on
/// a loaded machine the minimum is a batch nothing interrupted. (Not the thread CPU clock:
/// where it advances in scheduler ticks, a short batch can read as taking no time.)
fn ns_per(n: u32, batches: u32, mut f: impl FnMut()) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..batches {
        let t = Instant::now();
        for _ in 0..n {
            f();
        }
        best = best.min(t.elapsed().as_nanos() as f64 / f64::from(n));
    }
    best
}

/// Per-call costs of the `call` row, ns.
#[derive(Clone, Copy, Debug)]
pub struct CallCost {
    /// `muxlink_client_is_closed` through the library.
    pub c: f64,
    /// `Client::is_closed` through the Rust API.
    pub rust: f64,
    /// `muxlink_abi_version` (no argument, no check, no boundary) through the library: what
    /// an indirect call into the library and back costs here, loop included.
    pub empty: f64,
}

/// `call`: a handle call through C, the same through Rust, and an empty crossing.
#[allow(unsafe_code)]
fn call_ns(lib: &Lib, n: u32, batches: u32) -> Result<CallCost> {
    let c = lib.client(80, 24, OUTPUT_GRID)?;
    let mut closed = 1u8;
    // SAFETY: a live handle and a writable flag.
    let r = unsafe { (lib.is_closed)(c.p, &mut closed) };
    if r != OK || closed != 0 {
        bail!("muxlink_client_is_closed: {r}, closed {closed}");
    }
    let p = c.p;
    let f = lib.is_closed;
    let v = lib.abi_version;
    let rust = Client::new(rust_config(80, 24, OutputMode::Grid));
    let (mut c_ns, mut rust_ns, mut empty_ns) = (f64::MAX, f64::MAX, f64::MAX);
    // Interleaved, so that a slow period of the machine falls on all three.
    for _ in 0..batches {
        c_ns = c_ns.min(ns_per(n, 1, || {
            // SAFETY: as above.
            black_box(unsafe { black_box(f)(black_box(p), &mut closed) });
        }));
        rust_ns = rust_ns.min(ns_per(n, 1, || {
            black_box(black_box(&rust).is_closed());
        }));
        empty_ns = empty_ns.min(ns_per(n, 1, || {
            // SAFETY: takes nothing.
            black_box(unsafe { black_box(v)() });
        }));
    }
    Ok(CallCost {
        c: c_ns,
        rust: rust_ns,
        empty: empty_ns,
    })
}

const LAYOUT: &[u8] = b"%layout-change @0 b25d,80x24,0,0,0 b25d,80x24,0,0,0 *\n";

/// 64 `%output` lines of 64 bytes of pane output each (text, a colour, CR LF).
fn output_lines(seed: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for i in seed..seed + 64 {
        out.extend_from_slice(
            format!(
                "%output %0 \\033[3{}mline {i:06} of the crossing benchmark xxxxxxxxxxx\\015\\012\n",
                i % 8
            )
            .as_bytes(),
        );
    }
    out
}

/// What the C `on_event` and the Rust host count: bytes events and their lengths.
#[derive(Default)]
struct Pushed {
    events: u64,
    bytes: u64,
}

#[allow(unsafe_code)]
unsafe extern "C" fn on_event(ud: *mut c_void, ev: *const Event) {
    // SAFETY: the userdata is the `Pushed` the benchmark registered and keeps alive; the
    // event is borrowed for this call.
    let (p, ev) = unsafe { (&mut *ud.cast::<Pushed>(), &*ev) };
    if ev.kind == EVENT_PANE_BYTES {
        p.events += 1;
        p.bytes += ev.data_len as u64;
    }
}

impl Host for Pushed {
    fn on_event(&mut self, event: &ClientEvent<'_>) {
        if let ClientEvent::PaneBytes { bytes, .. } = event {
            self.events += 1;
            self.bytes += bytes.len() as u64;
        }
    }
}

/// `callback`: (C ns, Rust ns) per pushed event, feeding 64 lines per call.
#[allow(unsafe_code)]
fn callback_ns(lib: &Lib, n: u32, batches: u32) -> Result<(f64, f64)> {
    let pieces: Vec<Vec<u8>> = (0..16).map(|i| output_lines(i * 64)).collect();
    let c = lib.client(80, 24, OUTPUT_BYTES)?;
    // Written by the callback through this pointer, read between calls; freed after `c`.
    let pushed: *mut Pushed = Box::into_raw(Box::default());
    let counts = || {
        // SAFETY: `pushed` is live until the end of this function and not written while
        // no call is in progress.
        let p = unsafe { &*pushed };
        (p.events, p.bytes)
    };
    let mut cb = lib.callbacks();
    cb.userdata = pushed.cast();
    cb.on_event = Some(on_event);
    // SAFETY: a live handle and a whole callbacks struct; `pushed` outlives the client.
    if unsafe { (lib.set_callbacks)(c.p, &cb) } != OK {
        bail!("muxlink_client_set_callbacks failed");
    }
    c.feed(LAYOUT);
    let mut rust = Client::new(rust_config(80, 24, OutputMode::Bytes));
    let mut host = Pushed::default();
    let now = Instant::now();
    rust.receive(LAYOUT, now, &mut host);
    // The same work: as many bytes events of the same lengths.
    let before = (counts().0, host.events);
    c.feed(&pieces[0]);
    rust.receive(&pieces[0], now, &mut host);
    rust.flush_frames(now, &mut host);
    let (events, bytes) = counts();
    let per_piece = events - before.0;
    if per_piece == 0 || per_piece != host.events - before.1 || bytes != host.bytes {
        bail!(
            "ffi/callback: C pushed {events} events ({bytes} B), Rust {} ({} B)",
            host.events,
            host.bytes
        );
    }
    let mut i = 0;
    let c_ns = ns_per(n, batches, || {
        i = (i + 1) % pieces.len();
        c.feed(&pieces[i]);
    });
    let rust_ns = ns_per(n, batches, || {
        i = (i + 1) % pieces.len();
        let now = Instant::now();
        rust.receive(&pieces[i], now, &mut host);
        rust.flush_frames(now, &mut host);
    });
    drop(c);
    // SAFETY: made by Box::into_raw above; the client that called into it is gone.
    drop(unsafe { Box::from_raw(pushed) });
    let per = per_piece as f64;
    Ok((c_ns / per, rust_ns / per))
}

/// `callback` crossing: (C ns, Rust ns) per event for the crossing alone: the library's probe
/// pushes one bytes event `n` times through `&mut dyn Host` into its C ABI host, which fills
/// a `muxlink_event` and calls the C `on_event`; against the same event pushed through
/// `&mut dyn Host` to a Rust `Host` doing the same counting. Interleaved batches, minimum.
#[allow(unsafe_code)]
fn crossing_ns(lib: &Lib, n: u32, batches: u32) -> Result<(f64, f64)> {
    let bytes = &output_lines(0)[..64];
    let mut pushed = Pushed::default();
    let mut cb = lib.callbacks();
    cb.userdata = (&mut pushed as *mut Pushed).cast();
    cb.on_event = Some(on_event);
    let cb_ptr: *const Callbacks = &cb;
    let probe = lib.probe_push_events;
    let c_batch = || {
        // SAFETY: a whole callbacks struct whose userdata is `pushed`, alive and not
        // otherwise touched during the call; `bytes` borrowed for the call.
        unsafe { probe(cb_ptr, 0, bytes.as_ptr(), bytes.len(), u64::from(n)) }
    };
    if c_batch() != OK {
        bail!("muxlink_probe_push_events failed");
    }
    // SAFETY: no call in progress; `pushed` is only written during the probe's calls.
    let (c_events, c_bytes) = unsafe {
        let p = &*cb.userdata.cast::<Pushed>();
        (p.events, p.bytes)
    };
    let mut host = Pushed::default();
    let event = ClientEvent::PaneBytes {
        pane: PaneId(0),
        bytes,
    };
    let rust_batch = |host: &mut Pushed| {
        for _ in 0..n {
            let h: &mut dyn Host = black_box(&mut *host);
            h.on_event(black_box(&event));
        }
    };
    rust_batch(&mut host);
    // The same work: as many events of the same length counted on both sides.
    if c_events != u64::from(n) || c_events != host.events || c_bytes != host.bytes {
        bail!(
            "ffi/callback crossing: C counted {c_events} events ({c_bytes} B), Rust {} ({} B)",
            host.events,
            host.bytes
        );
    }
    let (mut c_ns, mut rust_ns) = (f64::MAX, f64::MAX);
    for _ in 0..batches {
        c_ns = c_ns.min(ns_per(1, 1, || {
            black_box(c_batch());
        }));
        rust_ns = rust_ns.min(ns_per(1, 1, || rust_batch(&mut host)));
    }
    Ok((c_ns / f64::from(n), rust_ns / f64::from(n)))
}

#[allow(unsafe_code)]
unsafe extern "C" fn count_wake(ud: *mut c_void) {
    // SAFETY: the userdata is the counter the benchmark registered; wakes come from this
    // thread only here.
    unsafe { *ud.cast::<u64>() += 1 };
}

/// `remote`: (C ns, Rust ns) per input queued, woken, run and its bytes taken.
#[allow(unsafe_code)]
fn remote_ns(lib: &Lib, n: u32, batches: u32) -> Result<(f64, f64)> {
    let c = lib.client(80, 24, OUTPUT_GRID)?;
    c.feed(LAYOUT);
    let mut ev = lib.event();
    let mut rs = lib.render_state();
    let mut views = NO_VIEWS;
    c.drain(&mut ev, &mut rs, &mut views, &mut Tally::default());
    // Written by the wake function, read between calls; freed after `c`.
    let wakes: *mut u64 = Box::into_raw(Box::new(0u64));
    let mut remote = ptr::null_mut();
    // SAFETY: a live handle; the counter outlives the client; a writable out pointer.
    unsafe {
        if (lib.set_waker)(c.p, Some(count_wake), wakes.cast(), None) != OK
            || (lib.remote)(c.p, &mut remote) != OK
        {
            bail!("muxlink_client_set_waker / muxlink_client_remote failed");
        }
    }
    let key = b"x";
    let once_c = || -> usize {
        let (mut out, mut len) = (ptr::null(), 0usize);
        // SAFETY: live handles, a borrowed key, writable outs; the bytes are taken at once.
        unsafe {
            (lib.remote_send_input)(remote, 0, key.as_ptr(), key.len());
            (lib.on_wake)(c.p);
            (lib.outgoing)(c.p, &mut out, &mut len);
            (lib.consume_outgoing)(c.p, len);
        }
        len
    };
    let c_bytes = once_c();
    let mut rust = Client::new(rust_config(80, 24, OutputMode::Grid));
    let mut q = EventQueue::new();
    rust.receive(LAYOUT, Instant::now(), &mut q);
    let mut once_rust = || -> usize {
        let _ = rust.send_input(PaneId(0), key);
        let n = rust.outgoing().len();
        rust.consume_outgoing(n);
        n
    };
    // The same work: the same command bytes for tmux, and the wake happened.
    let rust_bytes = once_rust();
    // SAFETY: live until the end; no call in progress.
    let woken = unsafe { *wakes };
    if c_bytes == 0 || c_bytes != rust_bytes || woken == 0 {
        bail!("ffi/remote: C wrote {c_bytes} B ({woken} wakes), Rust {rust_bytes} B");
    }
    let c_ns = ns_per(n, batches, || {
        black_box(once_c());
    });
    let rust_ns = ns_per(n, batches, || {
        black_box(once_rust());
    });
    // SAFETY: the handle `remote` made, freed once, before the client.
    unsafe { (lib.remote_free)(remote) };
    drop(c);
    // SAFETY: made by Box::into_raw above; the client that woke through it is gone.
    drop(unsafe { Box::from_raw(wakes) });
    Ok((c_ns, rust_ns))
}

/// Set in a child run under callgrind: `c:<stream>` or `rust:<stream>`. The child loads the
/// stream, runs the side once to warm up, then once inside [`counted_c`] / [`counted_rust`]
/// (the only code callgrind counts), prints the [`Tally`] and stops.
const INSTR_ENV: &str = "MUXLINK_BENCH_FFI_INSTR";
/// What a child prints on standard error before its tally.
const INSTR_TALLY: &str = "ffi-instructions-tally";

/// The C side once, counted by callgrind (`--toggle-collect` names this function).
#[inline(never)]
fn counted_c(lib: &Lib, spec: &StreamSpec, bytes: &[u8], budget: &Budget) -> Result<Tally> {
    Ok(run_c(lib, spec, bytes, budget, false)?.1)
}

/// The Rust side once, counted by callgrind.
#[inline(never)]
fn counted_rust(spec: &StreamSpec, bytes: &[u8], budget: &Budget) -> Tally {
    run_rust(spec, bytes, budget, false).1
}

/// The child's part (see [`INSTR_ENV`]).
fn instructions_child(lib: &Lib, ctx: &Context, what: &str) -> Result<()> {
    let (side, name) = what
        .split_once(':')
        .with_context(|| format!("{INSTR_ENV}={what}: want c:<stream> or rust:<stream>"))?;
    let spec = pipeline::SPECS
        .iter()
        .find(|s| s.name == name)
        .with_context(|| format!("{INSTR_ENV}: no stream {name}"))?;
    let stream = pipeline::load(&ctx.dir, spec)?;
    let bytes = &stream.once;
    let tally = match side {
        "c" => {
            run_c(lib, spec, bytes, &ctx.budget, false)?;
            counted_c(lib, spec, bytes, &ctx.budget)?
        }
        "rust" => {
            run_rust(spec, bytes, &ctx.budget, false);
            counted_rust(spec, bytes, &ctx.budget)
        }
        _ => bail!("{INSTR_ENV}: side {side} is neither c nor rust"),
    };
    eprintln!(
        "\n{INSTR_TALLY} {} {} {} {}",
        tally.events, tally.cells, tally.chars, tally.calls
    );
    Ok(())
}

/// Instructions (callgrind's `Ir`) one warm run of `stream` takes through C and through
/// Rust, each side in its own child process of this binary under callgrind, counting only
/// inside [`counted_c`] / [`counted_rust`]; the two tallies must agree. `None` when
/// valgrind is not installed.
fn instructions(stream: &str, ctx: &Context) -> Result<Option<Instructions>> {
    let probe = std::process::Command::new("valgrind")
        .arg("--version")
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        return Ok(None);
    }
    let exe = std::env::current_exe()?;
    let lib = library_path().context("no libmuxlink")?;
    let dir = std::env::temp_dir().join(format!("muxlink-ffi-instr-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut out = Vec::new();
    for (side, func) in [("c", "counted_c"), ("rust", "counted_rust")] {
        let file = dir.join(format!("{side}-{stream}.out"));
        let run = std::process::Command::new("valgrind")
            .arg("--tool=callgrind")
            .arg(format!("--callgrind-out-file={}", file.display()))
            .arg("--collect-atstart=no")
            .arg(format!("--toggle-collect=*::ffi::{func}"))
            .arg(&exe)
            .args(["--quick", "--group", "ffi", "--workload", "pipeline/"])
            .arg("--workloads")
            .arg(&ctx.dir)
            .env(INSTR_ENV, format!("{side}:{stream}"))
            .env("MUXLINK_BENCH_FFI_LIB", &lib)
            .output()?;
        let err = String::from_utf8_lossy(&run.stderr);
        let tally = err
            .lines()
            .find_map(|l| Some(l.split_once(INSTR_TALLY)?.1))
            .and_then(|t| {
                let v: Vec<u64> = t
                    .split_whitespace()
                    .filter_map(|x| x.parse().ok())
                    .collect();
                (v.len() == 4).then(|| Tally {
                    events: v[0],
                    cells: v[1],
                    chars: v[2],
                    calls: v[3],
                    full: false,
                })
            });
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let _ = std::fs::remove_file(&file);
        let layer = self_ir(&text, is_ffi_layer);
        // `totals:` (or `summary:`) holds the event counts; Ir is the first.
        let ir = text
            .lines()
            .filter_map(|l| l.strip_prefix("totals:").or(l.strip_prefix("summary:")))
            .find_map(|t| t.split_whitespace().next()?.parse::<u64>().ok());
        match (run.status.success(), tally, ir) {
            (true, Some(t), Some(ir)) if ir > 0 => out.push((ir, t, layer)),
            _ => bail!(
                "ffi/instructions/{stream} ({side}): callgrind run failed: {}",
                err.lines().rev().take(5).collect::<Vec<_>>().join(" | ")
            ),
        }
    }
    let _ = std::fs::remove_dir(&dir);
    let (c, r) = (out[0], out[1]);
    if !c.1.same_work(&r.1) {
        bail!(
            "ffi/instructions/{stream}: C and Rust did different work: {:?} vs {:?}",
            c.1,
            r.1
        );
    }
    Ok(Some(Instructions {
        c: c.0,
        rust: r.0,
        ffi_layer: c.2,
        tally: c.1,
    }))
}

/// What [`instructions`] counted.
#[derive(Clone, Copy, Debug)]
struct Instructions {
    /// The run through C, all of it.
    c: u64,
    /// The run through Rust.
    rust: u64,
    /// Of `c`, the C ABI layer's own code (see [`is_ffi_layer`]).
    ffi_layer: u64,
    /// What the C run did.
    tally: Tally,
}

/// Whether a function callgrind names is the library's C ABI layer: an export
/// (`muxlink_client_feed`) or code of the `muxlink` crate (`muxlink::event::...`), as
/// opposed to the runtime, terminal and protocol code both sides run.
fn is_ffi_layer(name: &str) -> bool {
    name.starts_with("muxlink::")
        || name.starts_with("<muxlink::")
        || (name.starts_with("muxlink_") && !name.contains("::"))
}

/// The instructions (`Ir`) callgrind charged to functions `pick` selects, their own code only
/// (what they inlined included, what they called not), from a callgrind output file.
fn self_ir(text: &str, pick: impl Fn(&str) -> bool) -> u64 {
    let mut names = std::collections::HashMap::new();
    // `fn=(7) name` defines id 7, `fn=(7)` refers to it; `cfn=` defines names as well.
    let mut resolve = |spec: &str| -> String {
        let spec = spec.trim();
        match spec.strip_prefix('(').and_then(|r| r.split_once(')')) {
            Some((id, rest)) if !rest.trim().is_empty() => {
                names.insert(id.to_string(), rest.trim().to_string());
                rest.trim().to_string()
            }
            Some((id, _)) => names.get(id).cloned().unwrap_or_default(),
            None => spec.to_string(),
        }
    };
    let (mut counting, mut call_cost, mut sum) = (false, false, 0u64);
    for line in text.lines() {
        if let Some(spec) = line.strip_prefix("fn=") {
            counting = pick(&resolve(spec));
        } else if let Some(spec) = line.strip_prefix("cfn=") {
            resolve(spec);
        } else if line.starts_with("calls=") {
            // The next cost line is the call's inclusive cost, charged to the callee.
            call_cost = true;
        } else if line.starts_with(|c: char| c.is_ascii_digit() || "+-*".contains(c)) {
            if std::mem::take(&mut call_cost) || !counting {
                continue;
            }
            sum += line
                .split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    sum
}

/// The median of `v` (sorted here).
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Per round, the C time against the Rust time run next to it, percent: (median, lowest
/// quartile, highest quartile).
fn paired(base: &[Duration], other: &[Duration]) -> (f64, f64, f64) {
    let mut v: Vec<f64> = base.iter().zip(other).map(|(b, o)| pct(*b, *o)).collect();
    v.sort_by(f64::total_cmp);
    let q = |f: f64| {
        v.get(((v.len() as f64 - 1.0) * f).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    (median(v.clone()), q(0.25), q(0.75))
}

fn round3(x: f64) -> Value {
    Value::from((x * 1000.0).round() / 1000.0)
}

fn crossing_row(workload: &str, c_ns: f64, rust_ns: f64, unit: &str) -> Row {
    let mut row = Row {
        group: "ffi",
        workload: workload.to_string(),
        impl_name: "muxlink",
        mb_per_s: 0.0,
        extra: serde_json::Map::new(),
    };
    let e = &mut row.extra;
    e.insert(format!("ns_per_{unit}"), round2(c_ns));
    e.insert(format!("rust_ns_per_{unit}"), round2(rust_ns));
    e.insert("extra_ns".into(), round2(c_ns - rust_ns));
    e.insert(
        "ops_per_s".into(),
        Value::from((1e9 / c_ns.max(1e-3)).round()),
    );
    row
}

/// The `ffi` group.
pub struct FfiGroup;

impl Group for FfiGroup {
    fn name(&self) -> &'static str {
        "ffi"
    }

    fn run(&self, ctx: &Context, notes: &mut Vec<String>) -> Result<Vec<Row>> {
        let mut rows = Vec::new();
        if ctx.only_impl.as_deref().is_some_and(|i| i != "muxlink") {
            return Ok(rows);
        }
        let Some(path) = library_path() else {
            let msg = "ffi: no libmuxlink next to muxlink-bench (`cargo build --release` \
                       builds it; or set MUXLINK_BENCH_FFI_LIB); group skipped";
            eprintln!("{msg}");
            notes.push(msg.into());
            return Ok(rows);
        };
        let lib = Lib::open(&path).with_context(|| format!("ffi: loading {}", path.display()))?;
        if let Ok(what) = std::env::var(INSTR_ENV) {
            // A child under callgrind (see `instructions`): one side, once, nothing else.
            instructions_child(&lib, ctx, &what)?;
            return Ok(rows);
        }
        let quick = super::soak::is_quick(&ctx.budget);
        // Batches of ~0.1 ms to ~1 ms each, many of them.
        let batches = if quick { 40 } else { 300 };

        let mut call_extra = 0.0;
        if ctx.selected("call") {
            let cost = call_ns(&lib, 20_000, batches)?;
            let c_ns = cost.c;
            call_extra = (c_ns - cost.rust).max(0.0);
            let mut row = crossing_row("call", c_ns, cost.rust, "call");
            let e = &mut row.extra;
            e.insert("empty_ns_per_call".into(), round2(cost.empty));
            e.insert("boundary_ns".into(), round2((c_ns - cost.empty).max(0.0)));
            e.insert("gate_met".into(), Value::from(c_ns < GATE_NS));
            e.insert("target_met".into(), Value::from(c_ns < TARGET_NS));
            notes.push(format!(
                "target ffi/call: ns_per_call {c_ns:.2} (gate < {GATE_NS}: {}, target < \
                 {TARGET_NS}: {}); an empty call into the library {:.2} ns, the Rust API's \
                 is_closed {:.2} ns",
                met(c_ns < GATE_NS),
                met(c_ns < TARGET_NS),
                cost.empty,
                cost.rust
            ));
            rows.push(row);
        }
        if ctx.selected("callback") {
            // The crossing itself (the target's subject): the library's path from its
            // `dyn Host` to the C function and back, against the same into a Rust Host.
            let (cross_c, cross_rust) = crossing_ns(&lib, 1000, batches)?;
            let cross = (cross_c - cross_rust).max(0.0);
            // The whole delivery: bytes fed, parsed, the event made and pushed.
            let (c_ns, rust_ns) = callback_ns(&lib, 200, batches)?;
            let extra = (c_ns - rust_ns).max(0.0);
            let mut row = crossing_row("callback", c_ns, rust_ns, "event");
            let e = &mut row.extra;
            e.insert("ns_per_call".into(), round2(cross_c));
            e.insert("crossing_ns_per_call".into(), round2(cross_c));
            e.insert("crossing_rust_ns_per_call".into(), round2(cross_rust));
            e.insert("crossing_extra_ns".into(), round2(cross));
            e.insert("delivery_ns_per_event".into(), round2(c_ns));
            e.insert("delivery_rust_ns_per_event".into(), round2(rust_ns));
            e.insert("delivery_extra_ns".into(), round2(extra));
            e.insert(
                "method".into(),
                Value::from(
                    "crossing: muxlink_probe_push_events (the library's dyn Host -> fill -> C \
                     on_event), min over interleaved batches of 1000; delivery: 64 %output \
                     lines fed per call in bytes mode, per pushed event, against the bench's \
                     own copy of the runtime with a Rust Host",
                ),
            );
            e.insert("gate_met".into(), Value::from(cross_c < GATE_NS));
            e.insert("target_met".into(), Value::from(cross_c < TARGET_NS));
            notes.push(format!(
                "target ffi/callback: ns_per_call {cross_c:.2} for the crossing (gate < \
                 {GATE_NS}: {}, target < {TARGET_NS}: {}; a Rust Host through dyn Host \
                 {cross_rust:.2}, extra {cross:.2}); whole delivery {c_ns:.1} ns per pushed \
                 event through C, {rust_ns:.1} through the bench's runtime and a Rust Host \
                 (extra {extra:.2}, which includes two differently built copies of the runtime)",
                met(cross_c < GATE_NS),
                met(cross_c < TARGET_NS)
            ));
            rows.push(row);
        }
        if ctx.selected("remote") {
            let (c_ns, rust_ns) = remote_ns(&lib, 2_000, batches)?;
            rows.push(crossing_row("remote", c_ns, rust_ns, "op"));
            notes.push(format!(
                "ffi/remote: {c_ns:.1} ns per input queued from a remote handle, woken and \
                 run; {rust_ns:.1} ns through Client::send_input"
            ));
        }

        let plan = if quick {
            (3, 30, Duration::from_millis(800))
        } else {
            (15, 300, Duration::from_secs(6))
        };
        for spec in pipeline::SPECS {
            let name = format!("pipeline/{}", spec.name);
            if !ctx.selected(&name) {
                continue;
            }
            let stream = pipeline::load(&ctx.dir, spec)?;
            let r = measure_pipeline(&lib, &stream, &ctx.budget, plan)?;
            let overhead = pct(r.rust[0], r.c[0]);
            let noise = pct(r.rust[0], r.again[0]);
            let model = call_extra * r.tally.calls as f64 / 1e9 / r.rust[0].as_secs_f64() * 100.0;
            let median = r.c[r.c.len() / 2];
            let mut row = Row {
                group: "ffi",
                workload: name.clone(),
                impl_name: "muxlink",
                mb_per_s: pipeline::per_second(stream.bytes.len() as u64, median) / 1e6,
                extra: serde_json::Map::new(),
            };
            // Instructions: deterministic where time on this shared machine is not. Not in
            // --quick (two runs under callgrind per stream).
            let instr = if quick {
                None
            } else {
                instructions(spec.name, ctx)?
            };
            let (paired_med, paired_lo, paired_hi) = r.paired;
            let e = &mut row.extra;
            e.insert("overhead_pct".into(), round3(overhead));
            e.insert("noise_pct".into(), round3(noise));
            e.insert("overhead_pct_paired_median".into(), round3(paired_med));
            e.insert(
                "overhead_pct_paired_iqr".into(),
                Value::from(vec![round3(paired_lo), round3(paired_hi)]),
            );
            e.insert("noise_pct_paired_median".into(), round3(r.paired_aa.0));
            e.insert(
                "noise_pct_paired_iqr".into(),
                Value::from(vec![round3(r.paired_aa.1), round3(r.paired_aa.2)]),
            );
            e.insert("overhead_pct_model".into(), round3(model));
            let of_rust = |n: f64, i: &Instructions| n / i.rust as f64 * 100.0;
            let instr_pct = instr.map(|i| of_rust(i.c as f64 - i.rust as f64, &i));
            if let Some(i) = instr {
                e.insert("instructions_c".into(), Value::from(i.c));
                e.insert("instructions_rust".into(), Value::from(i.rust));
                e.insert("instructions_ffi_layer".into(), Value::from(i.ffi_layer));
                e.insert("instructions_calls".into(), Value::from(i.tally.calls));
                e.insert("instructions_cells".into(), Value::from(i.tally.cells));
                e.insert(
                    "overhead_pct_instructions".into(),
                    round3(instr_pct.unwrap_or(0.0)),
                );
                // The split: the C ABI layer's own code, and the rest (the same runtime
                // compiled into two artifacts, inlined differently, and the hosts' loops).
                e.insert(
                    "overhead_pct_instructions_ffi_layer".into(),
                    round3(of_rust(i.ffi_layer as f64, &i)),
                );
                e.insert(
                    "overhead_pct_instructions_rest".into(),
                    round3(of_rust(i.c as f64 - i.rust as f64 - i.ffi_layer as f64, &i)),
                );
            }
            // The verdict: instruction counts when callgrind ran (deterministic), else the
            // median of the paired timed rounds.
            let (method, verdict) = match instr_pct {
                Some(p) => (
                    "callgrind Ir, one warm run of the stream per side, same tally",
                    p,
                ),
                None => ("median of per-round paired times (C / Rust)", paired_med),
            };
            let met_now = verdict < OVERHEAD_PCT;
            e.insert("overhead_method".into(), Value::from(method));
            e.insert("overhead_met".into(), Value::from(met_now));
            e.insert(
                "rust_mb_per_s".into(),
                round2(
                    pipeline::per_second(stream.bytes.len() as u64, r.rust[r.rust.len() / 2]) / 1e6,
                ),
            );
            e.insert("calls".into(), Value::from(r.tally.calls));
            e.insert("events".into(), Value::from(r.tally.events));
            e.insert("cells".into(), Value::from(r.tally.cells));
            e.insert("rounds".into(), Value::from(r.c.len()));
            e.insert("bytes".into(), Value::from(stream.bytes.len()));
            e.insert("chunk_bytes".into(), Value::from(DISPATCH_CHUNK));
            let instr_note = match instr {
                Some(i) => format!(
                    "instructions {:+.3}% (C {}, Rust {} Ir; the C ABI layer's own code \
                     {:.3}%, the rest {:+.3}%); ",
                    instr_pct.unwrap_or(0.0),
                    i.c,
                    i.rust,
                    of_rust(i.ffi_layer as f64, &i),
                    of_rust(i.c as f64 - i.rust as f64 - i.ffi_layer as f64, &i),
                ),
                None => String::new(),
            };
            notes.push(format!(
                "target ffi/{name}: overhead {verdict:.3}% by {method} (< {OVERHEAD_PCT}) {}; \
                 {instr_note}paired rounds median {paired_med:+.3}% (IQR {paired_lo:+.2}..\
                 {paired_hi:+.2}), A/A {:+.3}% (IQR {:+.2}..{:+.2}); min-of-rounds \
                 {overhead:+.3}%, A/A {noise:+.3}%; model {model:.3}% ({} calls x \
                 {call_extra:.1} ns); {} rounds: C min {:.2} ms, Rust min {:.2} ms",
                met(met_now),
                r.paired_aa.0,
                r.paired_aa.1,
                r.paired_aa.2,
                r.tally.calls,
                r.c.len(),
                r.c[0].as_secs_f64() * 1e3,
                r.rust[0].as_secs_f64() * 1e3,
            ));
            rows.push(row);
        }
        Ok(rows)
    }
}

fn met(yes: bool) -> &'static str {
    if yes {
        "met"
    } else {
        "MISSED"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::Clock;
    use crate::workloads::default_dir;

    /// The library `cargo build` made: next to this test binary's folder, or the release
    /// one (`cargo test` alone builds no cdylib). None when neither was built, except under
    /// CI (`CI` set), where the test-all script has built the release library first.
    fn lib() -> Option<Lib> {
        let release = std::env::current_exe().ok().and_then(|exe| {
            let name = format!(
                "{}muxlink{}",
                std::env::consts::DLL_PREFIX,
                std::env::consts::DLL_SUFFIX
            );
            // target/<profile>/deps/<test> -> target/release/<lib>
            let p = exe.parent()?.parent()?.parent()?.join("release").join(name);
            p.is_file().then_some(p)
        });
        let Some(path) = library_path().or(release) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "libmuxlink not built (cargo build --release first)"
            );
            eprintln!("libmuxlink not built; skipped");
            return None;
        };
        Some(Lib::open(&path).expect("the library in the target folder loads"))
    }

    #[test]
    fn c_and_rust_pipelines_do_the_same_work() {
        let Some(lib) = lib() else { return };
        let spec = &pipeline::SPECS[1];
        let stream = pipeline::load(&default_dir(), spec).expect("stream");
        let budget = Budget {
            clock: Clock::Wall,
            ..Budget::quick()
        };
        let (_, c) = run_c(&lib, spec, &stream.once, &budget, true).expect("C run");
        let (_, r) = run_rust(spec, &stream.once, &budget, true);
        assert!(c.same_work(&r), "{c:?} vs {r:?}");
        assert!(c.cells > 0 && c.events > 0);
        // A feed per chunk, and at least a next_event per feed.
        assert!(c.calls > 2 * stream.once.len().div_ceil(DISPATCH_CHUNK) as u64);
        assert_eq!(r.calls, 0);
    }

    #[test]
    fn self_cost_of_the_ffi_layer_from_callgrind_output() {
        // Two functions of the layer (one named again by id), one runtime function, and a
        // call whose inclusive cost must not count as the caller's own.
        let text = "events: Ir\n\
                    fn=(1) muxlink_frame_row\n10 5\n+1 2\n\
                    cfn=(2) muxlink_runtime::client::Client::feed\ncalls=1 20\n11 100\n\
                    fn=(2)\n20 40\n\
                    fn=(3) <muxlink::host::FfiHost as muxlink_runtime::events::Host>::on_event\n\
                    5 3\n\
                    fn=(4) muxlink_bench::groups::ffi::run_c\n1 1000\n\
                    fn=(1)\n* 4\n";
        assert_eq!(self_ir(text, is_ffi_layer), 5 + 2 + 3 + 4);
        assert_eq!(self_ir(text, |n| n.starts_with("muxlink_runtime::")), 40);
    }

    #[test]
    fn crossings_measure_and_check_their_work() {
        let Some(lib) = lib() else { return };
        let cost = call_ns(&lib, 1000, 2).expect("call");
        assert!(cost.c > 0.0 && cost.rust >= 0.0 && cost.empty > 0.0);
        let (c, r) = callback_ns(&lib, 10, 2).expect("callback");
        assert!(c > 0.0 && r > 0.0);
        let (c, r) = crossing_ns(&lib, 10, 2).expect("callback crossing");
        assert!(c > 0.0 && r > 0.0);
        let (c, r) = remote_ns(&lib, 100, 2).expect("remote");
        assert!(c > 0.0 && r > 0.0);
    }
}
