//! The binding against real tmux, as a Ghostty host would use it: a grid-mode client spawns
//! tmux on a private socket (`-L`, killed at the end, pass or fail), types into the shell,
//! reads rows as text and as cells, splits; then a bytes-mode client attaches to the same
//! server and receives each pane's rebuild sequence and its live bytes; a second thread
//! queues input through a `Remote`.
const std = @import("std");
const muxlink = @import("muxlink");
const tmux = @import("tmux.zig");

/// Turns of 50 ms before a wait fails (generous: the machine may be loaded).
const max_turns = 1200;

const Seen = struct {
    ready: bool = false,
    exited: bool = false,
    /// Bytes mode: the pane followed, its last rebuild sequence and what came after it.
    follow: u32 = muxlink.none,
    resets: usize = 0,
    reset: std.ArrayList(u8) = .empty,
    bytes: std.ArrayList(u8) = .empty,
    reset_cols: u16 = 0,
    succeeded_max: u64 = 0,

    fn deinit(self: *Seen) void {
        self.reset.deinit(std.testing.allocator);
        self.bytes.deinit(std.testing.allocator);
    }
};

fn pump(client: *muxlink.Client, seen: *Seen) !void {
    while (try client.nextEvent()) |ev| {
        switch (ev.kind()) {
            .ready => seen.ready = true,
            .exited => seen.exited = true,
            .command_succeeded => seen.succeeded_max = @max(seen.succeeded_max, ev.raw.command),
            .pane_reset => if (ev.pane() == seen.follow) {
                seen.resets += 1;
                seen.reset_cols = ev.raw.cols;
                seen.reset.clearRetainingCapacity();
                seen.bytes.clearRetainingCapacity();
                try seen.reset.appendSlice(std.testing.allocator, ev.data());
            },
            .pane_bytes => if (ev.pane() == seen.follow)
                try seen.bytes.appendSlice(std.testing.allocator, ev.data()),
            else => {},
        }
    }
}

fn screenHas(client: *const muxlink.Client, pane: u32, rows: u16, needle: []const u8) bool {
    var buf: [1024]u8 = undefined;
    var y: u32 = 0;
    while (y < rows) : (y += 1) {
        const text = client.paneRowText(pane, y, &buf) catch return false;
        if (std.mem.indexOf(u8, text, needle) != null) return true;
    }
    return false;
}

fn socketName(buf: []u8, what: []const u8) ![]const u8 {
    return std.fmt.bufPrint(buf, "muxlink-zig-{s}-{d}", .{ what, std.c.getpid() });
}

fn killServer(client: *muxlink.Client, seen: *Seen) void {
    _ = client.command("kill-server") catch return;
    var turns: usize = 0;
    while (!seen.exited and turns < max_turns) : (turns += 1) {
        client.turn(50) catch return;
        pump(client, seen) catch return;
    }
}

const Typist = struct {
    remote: muxlink.Remote,
    pane: u32,
    result: muxlink.Error!void = {},

    fn run(self: *Typist) void {
        self.result = self.remote.sendInput(self.pane, "echo thread-$((6*7))\r");
    }
};

test "grid and bytes mode against real tmux" {
    var name_buf: [64]u8 = undefined;
    const socket = try socketName(&name_buf, "live");
    // Last of all (defers run last first): after the server is killed.
    defer tmux.removeSocket(socket);

    var grid = try muxlink.Client.init(.{ .cols = 80, .rows = 24 });
    defer grid.deinit();
    var seen: Seen = .{};
    defer seen.deinit();
    try grid.spawn(.{ .action = .new, .socket_name = socket, .config_file = "/dev/null" });
    // The server is killed whatever happens below.
    defer killServer(&grid, &seen);

    var turns: usize = 0;
    while (!seen.ready and !seen.exited and turns < max_turns) : (turns += 1) {
        try grid.turn(50);
        try pump(&grid, &seen);
    }
    try std.testing.expect(seen.ready);
    const act = try grid.active();
    try std.testing.expect(act.pane != muxlink.none);

    // Typed text, run by the shell: only its output says 42.
    const id = try grid.sendInput(act.pane, "echo zig-$((6*7))\r");
    try std.testing.expect(id > 0);
    turns = 0;
    while (!screenHas(&grid, act.pane, 24, "zig-42") and turns < max_turns) : (turns += 1) {
        try grid.turn(50);
        try pump(&grid, &seen);
    }
    try std.testing.expect(screenHas(&grid, act.pane, 24, "zig-42"));
    try std.testing.expect(seen.succeeded_max >= id);

    // The same rows as cells: the row that says zig-42 has those characters.
    const state = try grid.pullFrame(act.pane);
    try std.testing.expectEqual(@as(u16, 80), state.raw.cols);
    var found = false;
    var y: u16 = 0;
    while (y < state.raw.rows) : (y += 1) {
        const cells = try state.row(y);
        try std.testing.expectEqual(@as(usize, 80), cells.len);
        var text: [80]u8 = undefined;
        for (cells, 0..) |cell, x| text[x] = if (cell.ch < 128 and cell.ch >= 32) @intCast(cell.ch) else ' ';
        if (std.mem.startsWith(u8, std.mem.trimStart(u8, &text, " "), "zig-42")) found = true;
    }
    try std.testing.expect(found);
    try std.testing.expectError(error.OutOfRange, state.row(24));
    // The same rows batched: one call, the same cells as row by row.
    var ys: [24]u16 = undefined;
    for (&ys, 0..) |*v, i| v.* = @intCast(i);
    var views: [24]muxlink.Row = undefined;
    try state.rows(&ys, &views);
    for (views, 0..) |v, i| {
        const one = try state.row(@intCast(i));
        try std.testing.expectEqual(one.ptr, v.cells().ptr);
        try std.testing.expectEqual(one.len, v.cells().len);
    }
    ys[3] = 24;
    try std.testing.expectError(error.OutOfRange, state.rows(&ys, &views));
    try std.testing.expectEqual(@as(usize, 0), views[3].cells().len);
    try std.testing.expectError(error.InvalidArgument, state.rows(&ys, views[0..2]));

    // Another thread queues input through a Remote; this thread's loop runs it.
    var typist: Typist = .{ .remote = try grid.remote(), .pane = act.pane };
    defer typist.remote.deinit();
    const thread = try std.Thread.spawn(.{}, Typist.run, .{&typist});
    turns = 0;
    while (!screenHas(&grid, act.pane, 24, "thread-42") and turns < max_turns) : (turns += 1) {
        try grid.turn(50);
        try pump(&grid, &seen);
    }
    thread.join();
    try typist.result;
    try std.testing.expect(screenHas(&grid, act.pane, 24, "thread-42"));

    // A split: two panes in the window.
    _ = try grid.split(act.pane, .right);
    var ids: [8]u32 = undefined;
    turns = 0;
    while ((try grid.panes(act.window, &ids)).len != 2 and turns < max_turns) : (turns += 1) {
        try grid.turn(50);
        try pump(&grid, &seen);
    }
    try std.testing.expectEqual(@as(usize, 2), (try grid.panes(act.window, &ids)).len);

    // Bytes mode: a second client gets the first pane's rebuild sequence (which holds what
    // the shell printed before it attached), then the pane's live output as bytes.
    var bytes_client = try muxlink.Client.init(.{ .cols = 80, .rows = 24, .output_mode = .bytes });
    defer bytes_client.deinit();
    var bseen: Seen = .{ .follow = act.pane };
    defer bseen.deinit();
    try bytes_client.spawn(.{ .action = .attach, .socket_name = socket, .config_file = "/dev/null" });
    turns = 0;
    while (!bseen.ready and !bseen.exited and turns < max_turns) : (turns += 1) {
        try bytes_client.turn(50);
        try pump(&bytes_client, &bseen);
    }
    try std.testing.expect(bseen.ready);
    // The first pane, now half as wide, was rebuilt once, with what the shell printed.
    try std.testing.expectEqual(@as(usize, 1), bseen.resets);
    try std.testing.expect(bseen.reset_cols > 0 and bseen.reset_cols < 80);
    try std.testing.expect(std.mem.indexOf(u8, bseen.reset.items, "zig-42") != null);
    try std.testing.expectError(error.NoGrid, bytes_client.paneRowText(act.pane, 0, &name_buf));
    const followed = act.pane;
    _ = try bytes_client.sendInput(followed, "echo bytes-$((6*7))\r");
    turns = 0;
    while (std.mem.indexOf(u8, bseen.bytes.items, "bytes-42") == null and turns < max_turns) : (turns += 1) {
        try bytes_client.turn(50);
        try pump(&bytes_client, &bseen);
    }
    try std.testing.expect(std.mem.indexOf(u8, bseen.bytes.items, "bytes-42") != null);
    // The grid client sees the same text in the same pane.
    turns = 0;
    while (!screenHas(&grid, followed, 24, "bytes-42") and turns < max_turns) : (turns += 1) {
        try grid.turn(50);
        try pump(&grid, &seen);
    }
    try std.testing.expect(screenHas(&grid, followed, 24, "bytes-42"));

    _ = try bytes_client.detach();
    turns = 0;
    // %exit queues the event; the client is closed once the child has gone too.
    while (!(bseen.exited and try bytes_client.isClosed()) and turns < max_turns) : (turns += 1) {
        try bytes_client.turn(50);
        try pump(&bytes_client, &bseen);
    }
    try std.testing.expect(bseen.exited);
    try std.testing.expect(try bytes_client.isClosed());
}
