//! An example host: attaches to a running tmux server (`-L NAME` or `-S PATH`, optionally
//! `-t SESSION`), waits for muxlink to sync every pane, prints what each pane of the active
//! window shows, and detaches.
//!
//!   zig build run-example -- -L SOCKET
const std = @import("std");
const muxlink = @import("muxlink");

fn out(bytes: []const u8) void {
    var rest = bytes;
    while (rest.len > 0) {
        const n = std.c.write(1, rest.ptr, rest.len);
        if (n <= 0) return;
        rest = rest[@intCast(n)..];
    }
}

fn usage() noreturn {
    std.debug.print("usage: print-panes (-L NAME | -S PATH) [-t SESSION]\n", .{});
    std.process.exit(2);
}

pub fn main(init: std.process.Init.Minimal) !void {
    var transport: muxlink.Transport = .{ .action = .attach };
    var args = init.args.iterate();
    _ = args.next();
    while (args.next()) |arg| {
        const value = args.next() orelse usage();
        if (std.mem.eql(u8, arg, "-L")) {
            transport.socket_name = value;
        } else if (std.mem.eql(u8, arg, "-S")) {
            transport.socket_path = value;
        } else if (std.mem.eql(u8, arg, "-t")) {
            transport.target = value;
        } else usage();
    }
    if (transport.socket_name == null and transport.socket_path == null) usage();

    var client = try muxlink.Client.init(.{});
    defer client.deinit();
    try client.spawn(transport);

    // The built-in loop, until the handshake has synced every pane (or tmux said no).
    var ready = false;
    while (!ready) {
        try client.turn(100);
        while (try client.nextEvent()) |ev| switch (ev.kind()) {
            .ready => ready = true,
            .exited => {
                std.debug.print("tmux closed the connection: {s}\n", .{ev.extra()});
                std.process.exit(1);
            },
            else => {},
        };
    }

    const act = try client.active();
    var ids: [64]u32 = undefined;
    const panes = try client.panes(act.window, &ids);
    var line: [4096]u8 = undefined;
    for (panes) |pane| {
        const state = try client.pullFrame(pane);
        out(try std.fmt.bufPrint(&line, "== pane %{d} ({d}x{d}){s}\n", .{
            pane, state.raw.cols, state.raw.rows, if (pane == act.pane) " active" else "",
        }));
        var y: u32 = 0;
        while (y < state.raw.rows) : (y += 1) {
            const text = try client.paneRowText(pane, y, line[0 .. line.len - 1]);
            line[text.len] = '\n';
            out(line[0 .. text.len + 1]);
        }
    }

    _ = try client.detach();
    while (!try client.isClosed()) {
        try client.turn(100);
        while (try client.nextEvent()) |_| {}
    }
}
