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
};
