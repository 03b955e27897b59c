//! Zig bindings for muxlink's C ABI (`muxlink.h`, `libmuxlink`).
//!
//! - The ABI version is checked at compile time (the header this package translates must be
//!   the one it was written for) and at run time (`Client.init` checks the loaded library).
//! - Results become Zig errors (`Error`); rows and strings are slices.
//! - `setAllocator` routes every allocation muxlink makes through a `std.mem.Allocator`;
//!   `paneRowTextAlloc` returns rows allocated with the caller's allocator.
//! - A `Client` is used by one thread at a time.
const std = @import("std");

/// The C declarations, as translated from `muxlink.h`.
pub const c = @import("muxlink_c");

/// The ABI version this binding is written against.
pub const abi_version: u32 = 1;

comptime {
    if (c.MUXLINK_ABI_VERSION != abi_version) @compileError(std.fmt.comptimePrint(
        "muxlink.h declares ABI version {d}; this binding is written for version {d}",
        .{ c.MUXLINK_ABI_VERSION, abi_version },
    ));
}

/// Every failure a muxlink call reports, one error per `muxlink_result` code.
pub const Error = error{
    /// MUXLINK_ERR_NULL: a pointer was NULL (a binding bug if it happens here).
    NullPointer,
    /// MUXLINK_ERR_MISALIGNED.
    Misaligned,
    /// MUXLINK_ERR_STRUCT_SIZE: the header and the library disagree on a struct's size.
    StructSize,
    /// MUXLINK_ERR_ABI_VERSION, or the loaded library's ABI version is not this binding's.
    AbiVersion,
    /// MUXLINK_ERR_INVALID_ARGUMENT: a value out of its range (a size above 10000, ...).
    InvalidArgument,
    /// MUXLINK_ERR_PANIC: muxlink panicked (a bug in muxlink); the client is poisoned.
    Panic,
    /// MUXLINK_ERR_POISONED: the client panicked earlier; only `deinit` is left.
    Poisoned,
    /// MUXLINK_ERR_BUFFER_TOO_SMALL.
    BufferTooSmall,
    /// MUXLINK_ERR_NO_SUCH_PANE.
    NoSuchPane,
    /// MUXLINK_ERR_OUT_OF_RANGE.
    OutOfRange,
    /// MUXLINK_ERR_NO_GRID: bytes mode keeps no grid.
    NoGrid,
    /// MUXLINK_ERR_CLOSED: the client has closed (tmux sent `%exit`).
    Closed,
    /// MUXLINK_ERR_ALLOCATOR_IN_USE: muxlink allocated before `setAllocator`, or it was set.
    AllocatorInUse,
    /// MUXLINK_ERR_UNSUPPORTED.
    Unsupported,
    /// MUXLINK_ERR_NO_SUCH_WINDOW.
    NoSuchWindow,
    /// MUXLINK_ERR_NO_SUCH_SESSION.
    NoSuchSession,
    /// MUXLINK_ERR_READ_ONLY: the client attached read-only.
    ReadOnly,
    /// MUXLINK_ERR_TMUX_TOO_OLD: the operation needs a newer tmux.
    TmuxTooOld,
    /// MUXLINK_ERR_WRONG_MODE: a call for another drive mode or output mode.
    WrongMode,
    /// MUXLINK_ERR_SPAWN: the tmux (or ssh) process could not be started.
    Spawn,
    /// MUXLINK_ERR_IO: reading or writing tmux's pipes failed.
    Io,
    /// MUXLINK_ERR_CALLBACK: a host callback reported failure.
    Callback,
    /// A code this binding does not know (a newer library).
    UnknownResult,
};

/// Turns a result code into `Error`.
pub fn check(result: c.muxlink_result) Error!void {
    return switch (@as(c_int, @bitCast(result))) {
        c.MUXLINK_OK => {},
        c.MUXLINK_ERR_NULL => error.NullPointer,
        c.MUXLINK_ERR_MISALIGNED => error.Misaligned,
        c.MUXLINK_ERR_STRUCT_SIZE => error.StructSize,
        c.MUXLINK_ERR_ABI_VERSION => error.AbiVersion,
        c.MUXLINK_ERR_INVALID_ARGUMENT => error.InvalidArgument,
        c.MUXLINK_ERR_PANIC => error.Panic,
        c.MUXLINK_ERR_POISONED => error.Poisoned,
        c.MUXLINK_ERR_BUFFER_TOO_SMALL => error.BufferTooSmall,
        c.MUXLINK_ERR_NO_SUCH_PANE => error.NoSuchPane,
        c.MUXLINK_ERR_OUT_OF_RANGE => error.OutOfRange,
        c.MUXLINK_ERR_NO_GRID => error.NoGrid,
        c.MUXLINK_ERR_CLOSED => error.Closed,
        c.MUXLINK_ERR_ALLOCATOR_IN_USE => error.AllocatorInUse,
        c.MUXLINK_ERR_UNSUPPORTED => error.Unsupported,
        c.MUXLINK_ERR_NO_SUCH_WINDOW => error.NoSuchWindow,
        c.MUXLINK_ERR_NO_SUCH_SESSION => error.NoSuchSession,
        c.MUXLINK_ERR_READ_ONLY => error.ReadOnly,
        c.MUXLINK_ERR_TMUX_TOO_OLD => error.TmuxTooOld,
        c.MUXLINK_ERR_WRONG_MODE => error.WrongMode,
        c.MUXLINK_ERR_SPAWN => error.Spawn,
        c.MUXLINK_ERR_IO => error.Io,
        c.MUXLINK_ERR_CALLBACK => error.Callback,
        else => error.UnknownResult,
    };
}

/// muxlink's own description of a result code (static; never freed).
pub fn resultName(result: c.muxlink_result) [:0]const u8 {
    return std.mem.span(c.muxlink_result_str(result));
}

/// Checks that the loaded library speaks this binding's ABI version. `Client.init` calls it;
/// call it yourself before `setAllocator`.
pub fn checkLibrary() Error!void {
    if (c.muxlink_abi_version() != abi_version) return error.AbiVersion;
}

// ---- the allocator hook ----

/// The allocator muxlink allocates with, once `setAllocator` succeeded. It lives here because
/// muxlink keeps a pointer to it for the life of the process.
var hooked: std.mem.Allocator = undefined;

/// Makes every allocation muxlink makes, in any thread, for the rest of the process, go
/// through `allocator`, which must be thread-safe (muxlink's helper threads allocate too).
/// Call it once, before anything else that allocates in muxlink (creating a client does);
/// afterwards it fails with `error.AllocatorInUse`. muxlink cannot survive an allocation
/// failure: `allocator` returning `OutOfMemory` ends the process.
pub fn setAllocator(allocator: std.mem.Allocator) Error!void {
    try checkLibrary();
    var table: c.muxlink_allocator = undefined;
    c.muxlink_allocator_init(&table);
    table.ctx = @ptrCast(&hooked);
    table.alloc = hookAlloc;
    table.realloc = hookRealloc;
    table.free = hookFree;
    // `hooked` is written before muxlink can call the hook (the call below publishes it).
    const previous = hooked;
    hooked = allocator;
    check(c.muxlink_set_allocator(&table)) catch |err| {
        hooked = previous;
        return err;
    };
}

fn hookedAllocator(ctx: ?*anyopaque) *const std.mem.Allocator {
    return @ptrCast(@alignCast(ctx.?));
}

fn hookAlloc(ctx: ?*anyopaque, size: usize, alignment: usize) callconv(.c) ?*anyopaque {
    const a = hookedAllocator(ctx);
    return a.rawAlloc(size, .fromByteUnits(alignment), @returnAddress());
}

fn hookRealloc(ctx: ?*anyopaque, ptr: ?*anyopaque, old_size: usize, alignment: usize, new_size: usize) callconv(.c) ?*anyopaque {
    const a = hookedAllocator(ctx);
    const block: [*]u8 = @ptrCast(ptr.?);
    // remap: null declines (the block stays), which muxlink answers with alloc, copy, free.
    return a.rawRemap(block[0..old_size], .fromByteUnits(alignment), new_size, @returnAddress());
}

fn hookFree(ctx: ?*anyopaque, ptr: ?*anyopaque, size: usize, alignment: usize) callconv(.c) void {
    const a = hookedAllocator(ctx);
    const block: [*]u8 = @ptrCast(ptr.?);
    a.rawFree(block[0..size], .fromByteUnits(alignment), @returnAddress());
}

// ---- the client ----

/// How pane output reaches the host.
pub const OutputMode = enum(u32) {
    /// muxlink emulates every pane into a grid identical to tmux's.
    grid = c.MUXLINK_OUTPUT_GRID,
    /// The host emulates panes itself; muxlink keeps no grid.
    bytes = c.MUXLINK_OUTPUT_BYTES,
};

/// Options of `Client.init` (muxlink's defaults).
pub const Config = struct {
    /// The client's size in cells, 1 to 10000.
    cols: u16 = 80,
    rows: u16 = 24,
    output_mode: OutputMode = .grid,
    /// Attach when control mode starts (false: only decode, as `muxlink replay` does).
    handshake: bool = true,
    /// Keep the session model and panes readable after tmux's `%exit`.
    keep_state_on_exit: bool = false,
};

/// One control-mode client.
pub const Client = struct {
    handle: *c.muxlink_client,

    /// Makes a client. Checks the loaded library's ABI version first.
    pub fn init(config: Config) Error!Client {
        try checkLibrary();
        var cfg: c.muxlink_client_config = undefined;
        c.muxlink_client_config_init(&cfg);
        cfg.cols = config.cols;
        cfg.rows = config.rows;
        cfg.output_mode = @intFromEnum(config.output_mode);
        cfg.handshake = config.handshake;
        cfg.keep_state_on_exit = config.keep_state_on_exit;
        var handle: ?*c.muxlink_client = null;
        try check(c.muxlink_client_new(&cfg, &handle));
        return .{ .handle = handle orelse return error.NullPointer };
    }

    /// Frees the client and everything it holds.
    pub fn deinit(self: *Client) void {
        c.muxlink_client_free(self.handle);
        self.* = undefined;
    }

    /// Feeds bytes read from tmux's stdout, cut anywhere. `bytes` is borrowed for the call.
    pub fn feed(self: *Client, bytes: []const u8) Error!void {
        try check(c.muxlink_client_feed(self.handle, bytes.ptr, bytes.len));
    }

    /// Screen row `row` of pane `%pane` as `capture-pane -p` prints it, written to `buf`;
    /// returns the part of `buf` it fills. `error.BufferTooSmall` when it does not fit
    /// (`paneRowTextLen` tells the length).
    pub fn paneRowText(self: *const Client, pane: u32, row: u32, buf: []u8) Error![]u8 {
        var len: usize = 0;
        try check(c.muxlink_client_pane_row_text(self.handle, pane, row, buf.ptr, buf.len, &len));
        return buf[0..len];
    }

    /// The length in bytes of `paneRowText` for this row.
    pub fn paneRowTextLen(self: *const Client, pane: u32, row: u32) Error!usize {
        var len: usize = 0;
        check(c.muxlink_client_pane_row_text(self.handle, pane, row, null, 0, &len)) catch |err| switch (err) {
            error.BufferTooSmall => {},
            else => return err,
        };
        return len;
    }

    /// `paneRowText` into memory from `allocator`; the caller frees it.
    pub fn paneRowTextAlloc(self: *const Client, allocator: std.mem.Allocator, pane: u32, row: u32) (Error || std.mem.Allocator.Error)![]u8 {
        const len = try self.paneRowTextLen(pane, row);
        const buf = try allocator.alloc(u8, len);
        errdefer allocator.free(buf);
        const text = try self.paneRowText(pane, row, buf);
        std.debug.assert(text.len == len);
        return buf;
    }

    // ---- transports and drive modes ----

    /// Starts tmux (or `ssh HOST tmux`) as a child process with `-C`; the client then runs
    /// on the built-in loop (`turn`, `run`). The strings are copied before this returns.
    pub fn spawn(self: *Client, transport: Transport) Error!void {
        var t: c.muxlink_transport = undefined;
        c.muxlink_transport_init(&t);
        t.kind = @intFromEnum(transport.kind);
        t.action = @intFromEnum(transport.action);
        t.program = str(transport.program);
        t.socket_name = str(transport.socket_name);
        t.socket_path = str(transport.socket_path);
        t.config_file = str(transport.config_file);
        t.target = str(transport.target);
        t.ssh_host = str(transport.ssh_host);
        try check(c.muxlink_client_spawn(self.handle, &t));
    }

    /// Built-in loop: waits up to `timeout_ms` (-1: no limit) for tmux, the timer or a wake,
    /// and handles what came. Events and frames are then ready to pull.
    pub fn turn(self: *Client, timeout_ms: i32) Error!void {
        try check(c.muxlink_client_turn(self.handle, timeout_ms));
    }

    /// Built-in loop: turns until the connection has finished or `Remote.stop` was called.
    pub fn run(self: *Client) Error!void {
        try check(c.muxlink_client_run(self.handle));
    }

    /// Host-fed mode: `writer(ctx, bytes)` writes the bytes for tmux (to the PTY the host
    /// reads) and returns how many it took, or a negative number for a failure. `ctx` must
    /// outlive the client (muxlink calls no destructor for it). The bytes are borrowed for
    /// the call.
    pub fn setWriter(
        self: *Client,
        comptime Ctx: type,
        ctx: *Ctx,
        comptime writer: fn (ctx: *Ctx, bytes: []const u8) isize,
    ) Error!void {
        const Trampoline = struct {
            fn write(ud: ?*anyopaque, bytes: [*c]const u8, len: usize) callconv(.c) isize {
                const p: *Ctx = @ptrCast(@alignCast(ud.?));
                return writer(p, if (len == 0) &.{} else bytes[0..len]);
            }
        };
        try check(c.muxlink_client_set_writer(self.handle, Trampoline.write, ctx, null));
    }

    /// Sans-I/O: the bytes waiting to be written to tmux (borrowed until the next call on
    /// this client). Call `consumeOutgoing` with what was written.
    pub fn outgoing(self: *const Client) Error![]const u8 {
        var ptr: [*c]const u8 = null;
        var len: usize = 0;
        try check(c.muxlink_client_outgoing(self.handle, &ptr, &len));
        return if (len == 0) &.{} else ptr[0..len];
    }

    /// Sans-I/O: `n` bytes of `outgoing` were written.
    pub fn consumeOutgoing(self: *Client, n: usize) Error!void {
        try check(c.muxlink_client_consume_outgoing(self.handle, n));
    }

    /// Host stream: enter control mode after `EventKind.control_mode_requested`.
    pub fn acceptControlMode(self: *Client) Error!void {
        try check(c.muxlink_client_accept_control_mode(self.handle));
    }

    /// Host stream: refuse it; the bytes after it pass through.
    pub fn declineControlMode(self: *Client) Error!void {
        try check(c.muxlink_client_decline_control_mode(self.handle));
    }

    /// Whether the connection has finished (`EventKind.exited` was queued).
    pub fn isClosed(self: *const Client) Error!bool {
        var closed = false;
        try check(c.muxlink_client_is_closed(self.handle, &closed));
        return closed;
    }

    /// Closes the connection from the host's side (pending replies are dropped).
    pub fn close(self: *Client) Error!void {
        try check(c.muxlink_client_close(self.handle));
    }

    /// A handle other threads use to queue input and wake this client; `Remote.deinit` it.
    pub fn remote(self: *Client) Error!Remote {
        var r: ?*c.muxlink_remote = null;
        try check(c.muxlink_client_remote(self.handle, &r));
        return .{ .handle = r orelse return error.NullPointer };
    }

    // ---- the host's loop ----

    /// Host loop: drives this spawned client from the host's own event loop (libxev, GLib,
    /// a CFRunLoop, a poll() loop) instead of the built-in one. `Loop` provides:
    ///
    /// - `fn watchFd(loop: *Loop, fd: i32, events: FdEvents, token: u64) E!void`, for any
    ///   error set E: watch `fd` and call `onReady(token, ...)` when it is ready (a token
    ///   watched already moves to the new descriptor and events). An error closes the client.
    /// - `fn unwatchFd(loop: *Loop, token: u64) void`: stop watching `token` (its descriptor
    ///   may be closed already).
    /// - `fn setTimer(loop: *Loop, timeout_ms: ?u64) void`: call `onTimer` once after that
    ///   long, replacing any earlier timer; null cancels it.
    /// - `fn wake(loop: *Loop) void`: make the loop call `onWake` soon. Called from ANY
    ///   thread; must not call into muxlink.
    /// - optionally `fn released(loop: *Loop) void`: muxlink let go of `loop` (backend
    ///   removed or replaced, `useBuiltinLoop`, client freed, and no wake in progress).
    ///
    /// muxlink calls the first three only from inside calls made on this client, never
    /// re-entering it. `loop` must stay valid until `released` (or until the client is
    /// freed). The previous backend is left with nothing registered. During this call
    /// `watchFd` runs for each descriptor and `setTimer` exactly once (the first deadline, or
    /// null when there is none yet). `error.Callback`: `watchFd` failed, and the client
    /// waits with no backend.
    pub fn setBackend(self: *Client, comptime Loop: type, loop: *Loop) Error!void {
        const T = struct {
            fn ctx(ud: ?*anyopaque) *Loop {
                return @ptrCast(@alignCast(ud.?));
            }
            fn watchFd(ud: ?*anyopaque, fd: c_int, events: u32, token: u64) callconv(.c) c_int {
                Loop.watchFd(ctx(ud), fd, FdEvents.fromBits(events), token) catch return -1;
                return 0;
            }
            fn unwatchFd(ud: ?*anyopaque, token: u64) callconv(.c) c_int {
                Loop.unwatchFd(ctx(ud), token);
                return 0;
            }
            fn setTimer(ud: ?*anyopaque, timeout_ms: i64) callconv(.c) void {
                Loop.setTimer(ctx(ud), if (timeout_ms < 0) null else @intCast(timeout_ms));
            }
            fn wake(ud: ?*anyopaque) callconv(.c) void {
                Loop.wake(ctx(ud));
            }
            fn released(ud: ?*anyopaque) callconv(.c) void {
                Loop.released(ctx(ud));
            }
        };
        var b: c.muxlink_backend = undefined;
        c.muxlink_backend_init(&b);
        b.userdata = loop;
        b.destroy = if (@hasDecl(Loop, "released")) T.released else null;
        b.watch_fd = T.watchFd;
        b.unwatch_fd = T.unwatchFd;
        b.set_timer = T.setTimer;
        b.wake = T.wake;
        try check(c.muxlink_client_set_backend(self.handle, &b));
    }

    /// Host loop: removes the backend; it is left with nothing registered, and the client
    /// waits until `setBackend` or `useBuiltinLoop`.
    pub fn removeBackend(self: *Client) Error!void {
        try check(c.muxlink_client_set_backend(self.handle, null));
    }

    /// Drives the client from the built-in loop (`turn`, `run`) again; the host's backend is
    /// left with nothing registered.
    pub fn useBuiltinLoop(self: *Client) Error!void {
        try check(c.muxlink_client_use_builtin_loop(self.handle));
    }

    /// Host loop: the descriptor watched for `token` is ready. The client reads, writes or
    /// drains it and updates its watches and timer before returning.
    pub fn onReady(self: *Client, token: u64, events: FdEvents) Error!void {
        try check(c.muxlink_client_on_ready(self.handle, token, events.toBits()));
    }

    /// Host loop: the timer `setTimer` armed fired.
    pub fn onTimer(self: *Client) Error!void {
        try check(c.muxlink_client_on_timer(self.handle));
    }

    /// Any mode: runs the work other threads queued (`Remote`), after a wake.
    pub fn onWake(self: *Client) Error!void {
        try check(c.muxlink_client_on_wake(self.handle));
    }

    /// Host loop: how many descriptors the backend watches for this client (0 off it).
    pub fn watched(self: *const Client) Error!usize {
        var n: usize = 0;
        try check(c.muxlink_client_watched(self.handle, &n));
        return n;
    }

    // ---- events and frames ----

    /// The next queued event, or null when none waits. Its `data` and `extra` are borrowed
    /// until the next call on this client.
    pub fn nextEvent(self: *Client) Error!?Event {
        var ev: c.muxlink_event = undefined;
        c.muxlink_event_init(&ev);
        try check(c.muxlink_client_next_event(self.handle, &ev));
        if (ev.kind == c.MUXLINK_EVENT_NONE) return null;
        return .{ .raw = ev };
    }

    /// Pane `%pane`'s render state: the rows dirtied since its last pull, cursor, modes.
    /// Everything it points to is borrowed until the next call on this client.
    pub fn pullFrame(self: *Client, pane: u32) Error!RenderState {
        var rs: c.muxlink_render_state = undefined;
        c.muxlink_render_state_init(&rs);
        try check(c.muxlink_client_pull_frame(self.handle, pane, &rs));
        return .{ .raw = rs };
    }

    // ---- operations: each returns the command id tmux's answer will carry ----

    /// Types `bytes` into pane `%pane` (sent as hex, never interpreted by tmux).
    pub fn sendInput(self: *Client, pane: u32, bytes: []const u8) Error!u64 {
        var id: u64 = 0;
        try check(c.muxlink_client_send_input(self.handle, pane, bytes.ptr, bytes.len, &id));
        return id;
    }

    /// Pastes `bytes` into pane `%pane` (bracketed when the pane asked for it).
    pub fn paste(self: *Client, pane: u32, bytes: []const u8) Error!u64 {
        var id: u64 = 0;
        try check(c.muxlink_client_paste(self.handle, pane, bytes.ptr, bytes.len, &id));
        return id;
    }

    /// Sets the client's size (every window follows unless sized on its own).
    pub fn resize(self: *Client, cols: u16, rows: u16) Error!u64 {
        var id: u64 = 0;
        try check(c.muxlink_client_resize(self.handle, cols, rows, &id));
        return id;
    }

    /// Splits pane `%pane`.
    pub fn split(self: *Client, pane: u32, direction: SplitDirection) Error!u64 {
        var id: u64 = 0;
        try check(c.muxlink_client_split(self.handle, pane, @intFromEnum(direction), &id));
        return id;
    }

    /// Makes `%pane` its window's active pane.
    pub fn selectPane(self: *Client, pane: u32) Error!u64 {
        var id: u64 = 0;
        try check(c.muxlink_client_select_pane(self.handle, pane, &id));
        return id;
    }

    /// Closes pane `%pane`.
    pub fn killPane(self: *Client, pane: u32) Error!u64 {
        var id: u64 = 0;
        try check(c.muxlink_client_kill_pane(self.handle, pane, &id));
        return id;
    }

    /// Resumes a pane tmux paused (`EventKind.paused`); it is re-captured.
    pub fn resumePane(self: *Client, pane: u32) Error!u64 {
        var id: u64 = 0;
        try check(c.muxlink_client_resume_pane(self.handle, pane, &id));
        return id;
    }

    /// Detaches; tmux answers with `%exit` and the client closes.
    pub fn detach(self: *Client) Error!u64 {
        var id: u64 = 0;
        try check(c.muxlink_client_detach(self.handle, &id));
        return id;
    }

    /// The user's own tmux command (one line, no `;`); the answer comes as
    /// `EventKind.command_reply`. Never build `text` from strings that came from tmux.
    pub fn command(self: *Client, text: []const u8) Error!u64 {
        var id: u64 = 0;
        try check(c.muxlink_client_command(self.handle, text.ptr, text.len, &id));
        return id;
    }

    // ---- the session model ----

    /// The windows in tmux's order, written to `buf`; the part of `buf` filled.
    pub fn windows(self: *const Client, buf: []u32) Error![]u32 {
        var n: usize = 0;
        try check(c.muxlink_client_windows(self.handle, buf.ptr, buf.len, &n));
        return buf[0..n];
    }

    /// The panes of window `@window`, written to `buf`; the part of `buf` filled.
    pub fn panes(self: *const Client, window: u32, buf: []u32) Error![]u32 {
        var n: usize = 0;
        try check(c.muxlink_client_panes(self.handle, window, buf.ptr, buf.len, &n));
        return buf[0..n];
    }

    /// The active window and its active pane (`none` when not known).
    pub fn active(self: *const Client) Error!struct { window: u32, pane: u32 } {
        var w: u32 = none;
        var p: u32 = none;
        try check(c.muxlink_client_active(self.handle, &w, &p));
        return .{ .window = w, .pane = p };
    }
};

/// Readiness of a descriptor: what a `Loop` is asked to watch (`Client.setBackend`) and
/// reports to `Client.onReady`.
pub const FdEvents = struct {
    readable: bool = false,
    writable: bool = false,
    /// `onReady` only: an error or hang-up condition.
    err: bool = false,

    pub fn fromBits(bits: u32) FdEvents {
        return .{
            .readable = bits & c.MUXLINK_FD_READABLE != 0,
            .writable = bits & c.MUXLINK_FD_WRITABLE != 0,
            .err = bits & c.MUXLINK_FD_ERROR != 0,
        };
    }

    pub fn toBits(self: FdEvents) u32 {
        var bits: u32 = 0;
        if (self.readable) bits |= c.MUXLINK_FD_READABLE;
        if (self.writable) bits |= c.MUXLINK_FD_WRITABLE;
        if (self.err) bits |= c.MUXLINK_FD_ERROR;
        return bits;
    }
};

/// An id that is not known (`MUXLINK_NONE`).
pub const none: u32 = c.MUXLINK_NONE;

fn str(s: ?[]const u8) c.muxlink_str {
    const v = s orelse return .{ .ptr = null, .len = 0 };
    return .{ .ptr = v.ptr, .len = v.len };
}

/// Which process `Client.spawn` starts.
pub const TransportKind = enum(u32) {
    tmux = c.MUXLINK_TRANSPORT_TMUX,
    ssh = c.MUXLINK_TRANSPORT_SSH,
};

/// What the spawned tmux does.
pub const Action = enum(u32) {
    /// Attach to `target` (or the most recent session).
    attach = c.MUXLINK_ACTION_ATTACH,
    /// Make a new session (named `target` when given).
    new = c.MUXLINK_ACTION_NEW,
    /// Attach to session `target`, making it when missing.
    attach_or_new = c.MUXLINK_ACTION_ATTACH_OR_NEW,
};

/// Options of `Client.spawn`; null strings take muxlink's defaults.
pub const Transport = struct {
    kind: TransportKind = .tmux,
    action: Action = .attach,
    /// The tmux program (default `tmux` from PATH).
    program: ?[]const u8 = null,
    /// `-L NAME`.
    socket_name: ?[]const u8 = null,
    /// `-S PATH`.
    socket_path: ?[]const u8 = null,
    /// `-f FILE`.
    config_file: ?[]const u8 = null,
    /// The session to attach to or to name.
    target: ?[]const u8 = null,
    /// `kind = .ssh`: the host.
    ssh_host: ?[]const u8 = null,
};

/// Where `Client.split` puts the new pane.
pub const SplitDirection = enum(u32) {
    right = c.MUXLINK_SPLIT_RIGHT,
    down = c.MUXLINK_SPLIT_DOWN,
};

/// What an event says (`MUXLINK_EVENT_*`). Values this binding does not name may come from a
/// newer library: skip them.
pub const EventKind = enum(u32) {
    control_mode_requested = c.MUXLINK_EVENT_CONTROL_MODE_REQUESTED,
    control_mode_left = c.MUXLINK_EVENT_CONTROL_MODE_LEFT,
    passthrough = c.MUXLINK_EVENT_PASSTHROUGH,
    ready = c.MUXLINK_EVENT_READY,
    degraded = c.MUXLINK_EVENT_DEGRADED,
    session_changed = c.MUXLINK_EVENT_SESSION_CHANGED,
    sessions_changed = c.MUXLINK_EVENT_SESSIONS_CHANGED,
    session_renamed = c.MUXLINK_EVENT_SESSION_RENAMED,
    window_added = c.MUXLINK_EVENT_WINDOW_ADDED,
    window_closed = c.MUXLINK_EVENT_WINDOW_CLOSED,
    window_renamed = c.MUXLINK_EVENT_WINDOW_RENAMED,
    window_indexes_changed = c.MUXLINK_EVENT_WINDOW_INDEXES_CHANGED,
    layout_changed = c.MUXLINK_EVENT_LAYOUT_CHANGED,
    unlinked_window_added = c.MUXLINK_EVENT_UNLINKED_WINDOW_ADDED,
    unlinked_window_renamed = c.MUXLINK_EVENT_UNLINKED_WINDOW_RENAMED,
    pane_added = c.MUXLINK_EVENT_PANE_ADDED,
    pane_closed = c.MUXLINK_EVENT_PANE_CLOSED,
    active_window_changed = c.MUXLINK_EVENT_ACTIVE_WINDOW_CHANGED,
    active_pane_changed = c.MUXLINK_EVENT_ACTIVE_PANE_CHANGED,
    pane_mode_changed = c.MUXLINK_EVENT_PANE_MODE_CHANGED,
    paused = c.MUXLINK_EVENT_PAUSED,
    resumed = c.MUXLINK_EVENT_RESUMED,
    output_age = c.MUXLINK_EVENT_OUTPUT_AGE,
    title = c.MUXLINK_EVENT_TITLE,
    bell = c.MUXLINK_EVENT_BELL,
    clipboard = c.MUXLINK_EVENT_CLIPBOARD,
    frame_ready = c.MUXLINK_EVENT_FRAME_READY,
    pane_bytes = c.MUXLINK_EVENT_PANE_BYTES,
    pane_reset = c.MUXLINK_EVENT_PANE_RESET,
    notice = c.MUXLINK_EVENT_NOTICE,
    command_succeeded = c.MUXLINK_EVENT_COMMAND_SUCCEEDED,
    command_failed = c.MUXLINK_EVENT_COMMAND_FAILED,
    command_reply = c.MUXLINK_EVENT_COMMAND_REPLY,
    unmatched_reply = c.MUXLINK_EVENT_UNMATCHED_REPLY,
    protocol_error = c.MUXLINK_EVENT_PROTOCOL_ERROR,
    unknown = c.MUXLINK_EVENT_UNKNOWN,
    exited = c.MUXLINK_EVENT_EXITED,
    other = c.MUXLINK_EVENT_OTHER,
    pane_refused = c.MUXLINK_EVENT_PANE_REFUSED,
    history_trimmed = c.MUXLINK_EVENT_HISTORY_TRIMMED,
    limit_reached = c.MUXLINK_EVENT_LIMIT_REACHED,
    release_approximated = c.MUXLINK_EVENT_RELEASE_APPROXIMATED,
    server_options_changed = c.MUXLINK_EVENT_SERVER_OPTIONS_CHANGED,
    platform_widths = c.MUXLINK_EVENT_PLATFORM_WIDTHS,
    _,
};

/// One event (`muxlink_event`); `data` and `extra` are borrowed until the next call on the
/// client that gave it.
pub const Event = struct {
    raw: c.muxlink_event,

    pub fn kind(self: *const Event) EventKind {
        return @enumFromInt(self.raw.kind);
    }

    /// The pane it concerns, or `none`.
    pub fn pane(self: *const Event) u32 {
        return self.raw.pane;
    }

    /// Kind-specific bytes: pane output (`pane_bytes`), the rebuild sequence (`pane_reset`),
    /// a title, tmux's message...
    pub fn data(self: *const Event) []const u8 {
        return if (self.raw.data_len == 0) &.{} else self.raw.data[0..self.raw.data_len];
    }

    /// Kind-specific second string (a clipboard's selections, an exit's explanation).
    pub fn extra(self: *const Event) []const u8 {
        return if (self.raw.extra_len == 0) &.{} else self.raw.extra[0..self.raw.extra_len];
    }
};

/// One row `RenderState.rows` hands out (`muxlink_row`), borrowed like the render state.
pub const Row = extern struct {
    raw: c.muxlink_row,

    /// The row's cells, one per column (empty for a row that was out of range).
    pub fn cells(self: Row) []const c.muxlink_cell {
        return if (self.raw.len == 0) &.{} else self.raw.cells[0..self.raw.len];
    }
};

/// A pane's render state (`muxlink_render_state`), borrowed until the next call on the client.
pub const RenderState = struct {
    raw: c.muxlink_render_state,

    /// The screen rows that changed since the last pull.
    pub fn dirtyRows(self: *const RenderState) []const u16 {
        return if (self.raw.dirty_len == 0) &.{} else self.raw.dirty_rows[0..self.raw.dirty_len];
    }

    /// Row `y`'s cells (`muxlink_cell`, one per column).
    pub fn row(self: *const RenderState, y: u16) Error![]const c.muxlink_cell {
        var cells: [*c]const c.muxlink_cell = null;
        var len: usize = 0;
        try check(c.muxlink_frame_row(self.raw.frame, y, &cells, &len));
        return if (len == 0) &.{} else cells[0..len];
    }

    /// Rows `ys[i]` into `out[i]` in one call (`muxlink_frame_rows`): what a host drawing the
    /// dirty rows uses, `rows(state.dirtyRows(), buffer)` (in pieces of its buffer's size).
    /// `out` must hold at least `ys.len` entries; `Row.cells` gives each one's cells.
    pub fn rows(self: *const RenderState, ys: []const u16, out: []Row) Error!void {
        if (out.len < ys.len) return error.InvalidArgument;
        if (ys.len == 0) return;
        try check(c.muxlink_frame_rows(self.raw.frame, ys.ptr, ys.len, @ptrCast(out.ptr)));
    }

    /// The pane's title, when it has one.
    pub fn title(self: *const RenderState) ?[]const u8 {
        if (!self.raw.has_title) return null;
        return if (self.raw.title_len == 0) &.{} else self.raw.title[0..self.raw.title_len];
    }
};

/// A client's handle for other threads: input and wakes, queued; free with `deinit` on any
/// thread.
pub const Remote = struct {
    handle: *c.muxlink_remote,

    /// Queues input for pane `%pane` (copied) and wakes the client's loop.
    pub fn sendInput(self: Remote, pane: u32, bytes: []const u8) Error!void {
        try check(c.muxlink_remote_send_input(self.handle, pane, bytes.ptr, bytes.len));
    }

    /// Wakes the client's loop.
    pub fn wake(self: Remote) Error!void {
        try check(c.muxlink_remote_wake(self.handle));
    }

    /// Makes `Client.run` return at its next turn.
    pub fn stop(self: Remote) Error!void {
        try check(c.muxlink_remote_stop(self.handle));
    }

    pub fn deinit(self: *Remote) void {
        c.muxlink_remote_free(self.handle);
        self.* = undefined;
    }
};
