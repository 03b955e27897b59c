//! The binding against libmuxlink: recorded control streams fed through `Client`, every pane
//! row compared with what `muxlink replay --json` reports for the same stream (the JSON is
//! produced by the build and embedded in the `fixtures` module), with every allocation muxlink
//! makes going through a Zig allocator that counts what is live.
const std = @import("std");
const muxlink = @import("muxlink");
const fixtures = @import("fixtures");

/// A thread-safe allocator that counts live blocks and checks sizes on free (through
/// DebugAllocator) so that muxlink's use of the hook is verified, not assumed.
const Ledger = struct {
    backing: std.heap.DebugAllocator(.{ .thread_safe = true }) = .init,
    live: std.atomic.Value(isize) = .init(0),
    total: std.atomic.Value(isize) = .init(0),

    fn allocator(self: *Ledger) std.mem.Allocator {
        return .{ .ptr = self, .vtable = &.{
            .alloc = alloc,
            .resize = resize,
            .remap = remap,
            .free = free,
        } };
    }

    fn inner(ctx: *anyopaque) *Ledger {
        return @ptrCast(@alignCast(ctx));
    }

    fn alloc(ctx: *anyopaque, len: usize, alignment: std.mem.Alignment, ret: usize) ?[*]u8 {
        const self = inner(ctx);
        const p = self.backing.allocator().rawAlloc(len, alignment, ret) orelse return null;
        _ = self.live.fetchAdd(1, .monotonic);
        _ = self.total.fetchAdd(1, .monotonic);
        return p;
    }

    fn resize(ctx: *anyopaque, memory: []u8, alignment: std.mem.Alignment, new_len: usize, ret: usize) bool {
        return inner(ctx).backing.allocator().rawResize(memory, alignment, new_len, ret);
    }

    fn remap(ctx: *anyopaque, memory: []u8, alignment: std.mem.Alignment, new_len: usize, ret: usize) ?[*]u8 {
        return inner(ctx).backing.allocator().rawRemap(memory, alignment, new_len, ret);
    }

    fn free(ctx: *anyopaque, memory: []u8, alignment: std.mem.Alignment, ret: usize) void {
        const self = inner(ctx);
        self.backing.allocator().rawFree(memory, alignment, ret);
        _ = self.live.fetchSub(1, .monotonic);
    }
};

var ledger: Ledger = .{};
var ledger_installed = false;

/// Installs the ledger before muxlink's first allocation in this process (every test that
/// makes a client calls it first).
fn useLedger() !void {
    if (ledger_installed) return;
    try muxlink.setAllocator(ledger.allocator());
    ledger_installed = true;
}

const Expected = struct {
    panes: []const struct {
        id: []const u8,
        screen: []const []const u8,
    },
};

fn paneNumber(id: []const u8) !u32 {
    if (id.len < 2 or id[0] != '%') return error.BadPaneId;
    return std.fmt.parseInt(u32, id[1..], 10);
}

/// Feeds `stream` in pieces of `chunk` bytes and compares every row with the JSON.
fn expectRowsMatch(stream: []const u8, json: []const u8, chunk: usize) !void {
    const gpa = std.testing.allocator;
    const expected = try std.json.parseFromSlice(Expected, gpa, json, .{ .ignore_unknown_fields = true });
    defer expected.deinit();
    try std.testing.expect(expected.value.panes.len > 0);

    const live_before = ledger.live.load(.monotonic);
    var client = try muxlink.Client.init(.{ .handshake = false, .keep_state_on_exit = true });
    var off: usize = 0;
    while (off < stream.len) : (off += chunk) {
        try client.feed(stream[off..@min(stream.len, off + chunk)]);
    }

    var rows: usize = 0;
    var buf: [4096]u8 = undefined;
    for (expected.value.panes) |pane| {
        const id = try paneNumber(pane.id);
        for (pane.screen, 0..) |want, y| {
            const row: u32 = @intCast(y);
            // Both ways of reading a row: into a buffer, and allocated by the caller.
            try std.testing.expectEqualStrings(want, try client.paneRowText(id, row, &buf));
            const owned = try client.paneRowTextAlloc(gpa, id, row);
            defer gpa.free(owned);
            try std.testing.expectEqualStrings(want, owned);
            try std.testing.expectEqual(want.len, try client.paneRowTextLen(id, row));
            rows += 1;
        }
        try std.testing.expectError(error.OutOfRange, client.paneRowText(id, @intCast(pane.screen.len), &buf));
    }
    try std.testing.expect(rows > 0);
    // The recorded streams end with %exit: the client is closed, its state still readable.
    try std.testing.expectError(error.Closed, client.feed("%output %0 x\n"));
    client.deinit();
    try std.testing.expectEqual(live_before, ledger.live.load(.monotonic));
}

test "the ABI version is checked at compile time and at run time" {
    try std.testing.expectEqual(muxlink.abi_version, muxlink.c.MUXLINK_ABI_VERSION);
    try muxlink.checkLibrary();
    try std.testing.expectEqual(muxlink.abi_version, muxlink.c.muxlink_abi_version());
}

test "every pane row equals muxlink replay --json, in any chunking" {
    try useLedger();
    inline for (.{ fixtures.vim, fixtures.windows }) |f| {
        for ([_]usize{ 1, 7, 4096, f.stream.len }) |chunk| {
            try expectRowsMatch(f.stream, f.json, chunk);
        }
    }
    try std.testing.expect(ledger.total.load(.monotonic) > 0);
}

test "errors come back as Zig errors" {
    try useLedger();
    var client = try muxlink.Client.init(.{ .handshake = false, .keep_state_on_exit = true });
    defer client.deinit();
    try client.feed(fixtures.windows.stream);
    var small: [4]u8 = undefined;
    try std.testing.expectError(error.BufferTooSmall, client.paneRowText(0, 1, &small));
    try std.testing.expectEqual(@as(usize, "hello from pane zero".len), try client.paneRowTextLen(0, 1));
    try std.testing.expectError(error.NoSuchPane, client.paneRowText(424242, 0, &small));
    try std.testing.expectError(error.OutOfRange, client.paneRowText(0, 100000, &small));
    try std.testing.expectError(error.InvalidArgument, muxlink.Client.init(.{ .cols = 10001 }));
    try std.testing.expectError(error.AllocatorInUse, muxlink.setAllocator(std.testing.allocator));

    var bytes = try muxlink.Client.init(.{ .handshake = false, .keep_state_on_exit = true, .output_mode = .bytes });
    defer bytes.deinit();
    try bytes.feed(fixtures.windows.stream);
    try std.testing.expectError(error.NoGrid, bytes.paneRowTextLen(0, 0));
}

test "result names come from the library" {
    try std.testing.expectEqualStrings("MUXLINK_OK: success", muxlink.resultName(@intCast(muxlink.c.MUXLINK_OK)));
    try std.testing.expectEqualStrings("unknown muxlink_result", muxlink.resultName(9999));
    try std.testing.expectError(error.UnknownResult, muxlink.check(9999));
}
