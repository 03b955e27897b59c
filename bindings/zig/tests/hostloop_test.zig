//! The host-loop drive mode from Zig against real tmux, as Ghostty drives muxlink from its
//! own libxev loop: a spawned client hands its descriptors, its timer and its wakes to a
//! poll() loop written here (`PollLoop`), which calls back `onReady`, `onTimer` and
//! `onWake`. The test types into the shell through that loop, queues input from another
//! thread (the wake travels a pipe to the loop), swaps to the built-in loop and back, removes
//! the backend, and checks each time that nothing stays registered and that the loop was
//! released exactly once. tmux runs on a private socket and is killed at the end, pass or
//! fail.
const std = @import("std");
const muxlink = @import("muxlink");
const tmux = @import("tmux.zig");

/// Loop turns of up to 50 ms before a wait fails (generous: the machine may be loaded).
const max_turns = 1200;

fn nowMs() i64 {
    var ts: std.c.timespec = undefined;
    _ = std.c.clock_gettime(.MONOTONIC, &ts);
    return @as(i64, ts.sec) * 1000 + @divTrunc(@as(i64, ts.nsec), 1_000_000);
}

/// A host's event loop: poll() over the descriptors muxlink asks it to watch, a pipe for
/// wakes from other threads, and one timer.
const PollLoop = struct {
    const Watch = struct { fd: i32, events: muxlink.FdEvents, token: u64 };

    watches: [8]?Watch = @splat(null),
    timer_at: ?i64 = null,
    wake_pipe: [2]std.c.fd_t = .{ -1, -1 },
    fail_watch: bool = false,
    watch_calls: usize = 0,
    unwatch_calls: usize = 0,
    timer_calls: usize = 0,
    wakes: std.atomic.Value(u32) = .init(0),
    released_count: std.atomic.Value(u32) = .init(0),

    fn open(self: *PollLoop) !void {
        if (std.c.pipe2(&self.wake_pipe, .{ .NONBLOCK = true, .CLOEXEC = true }) != 0)
            return error.Pipe;
    }

    fn close(self: *PollLoop) void {
        for (self.wake_pipe) |fd| if (fd >= 0) {
            _ = std.c.close(fd);
        };
    }

    fn watching(self: *const PollLoop) usize {
        var n: usize = 0;
        for (self.watches) |w| {
            if (w != null) n += 1;
        }
        return n;
    }

    // ---- what muxlink calls (see `Client.setBackend`) ----

    pub fn watchFd(self: *PollLoop, fd: i32, events: muxlink.FdEvents, token: u64) error{ Refused, Full }!void {
        self.watch_calls += 1;
        if (self.fail_watch) return error.Refused;
        var free: ?usize = null;
        for (&self.watches, 0..) |*slot, i| {
            if (slot.*) |*w| {
                if (w.token == token) {
                    w.fd = fd;
                    w.events = events;
                    return;
                }
            } else if (free == null) free = i;
        }
        self.watches[free orelse return error.Full] = .{ .fd = fd, .events = events, .token = token };
    }

    pub fn unwatchFd(self: *PollLoop, token: u64) void {
        self.unwatch_calls += 1;
        for (&self.watches) |*slot| {
            if (slot.*) |w| {
                if (w.token == token) slot.* = null;
            }
        }
    }

    pub fn setTimer(self: *PollLoop, timeout_ms: ?u64) void {
        self.timer_calls += 1;
        self.timer_at = if (timeout_ms) |ms| nowMs() + @as(i64, @intCast(@min(ms, 1 << 40))) else null;
    }

    pub fn wake(self: *PollLoop) void {
        _ = self.wakes.fetchAdd(1, .seq_cst);
        // A full pipe already holds a wake.
        _ = std.c.write(self.wake_pipe[1], "w", 1);
    }

    pub fn released(self: *PollLoop) void {
        _ = self.released_count.fetchAdd(1, .seq_cst);
    }

    /// One turn: poll the watched descriptors, the wake pipe and the timer (at most 50 ms),
    /// and tell the client what happened.
    fn turn(self: *PollLoop, client: *muxlink.Client) !void {
        var fds: [9]std.c.pollfd = undefined;
        var tokens: [9]u64 = undefined;
        var n: usize = 0;
        for (self.watches) |slot| {
            const w = slot orelse continue;
            var ev: i16 = 0;
            if (w.events.readable) ev |= std.c.POLL.IN;
            if (w.events.writable) ev |= std.c.POLL.OUT;
            fds[n] = .{ .fd = w.fd, .events = ev, .revents = 0 };
            tokens[n] = w.token;
            n += 1;
        }
        fds[n] = .{ .fd = self.wake_pipe[0], .events = std.c.POLL.IN, .revents = 0 };
        var timeout: i64 = 50;
        if (self.timer_at) |at| timeout = std.math.clamp(at - nowMs(), 0, timeout);
        const rc = std.c.poll(&fds, @intCast(n + 1), @intCast(timeout));
        if (rc > 0) {
            for (fds[0..n], tokens[0..n]) |f, token| {
                if (f.revents == 0) continue;
                try client.onReady(token, .{
                    .readable = f.revents & std.c.POLL.IN != 0,
                    .writable = f.revents & std.c.POLL.OUT != 0,
                    .err = f.revents & (std.c.POLL.ERR | std.c.POLL.HUP | std.c.POLL.NVAL) != 0,
                });
            }
            if (fds[n].revents & std.c.POLL.IN != 0) {
                var buf: [64]u8 = undefined;
                while (std.c.read(self.wake_pipe[0], &buf, buf.len) > 0) {}
                try client.onWake();
            }
        }
        if (self.timer_at) |at| if (nowMs() >= at) {
            self.timer_at = null;
            try client.onTimer();
        };
    }
};

const Seen = struct { ready: bool = false, exited: bool = false };

fn pump(client: *muxlink.Client, seen: *Seen) !void {
    while (try client.nextEvent()) |ev| switch (ev.kind()) {
        .ready => seen.ready = true,
        .exited => seen.exited = true,
        else => {},
    };
}

fn screenHas(client: *const muxlink.Client, pane: u32, needle: []const u8) bool {
    var buf: [1024]u8 = undefined;
    var y: u32 = 0;
    while (y < 24) : (y += 1) {
        const text = client.paneRowText(pane, y, &buf) catch return false;
        if (std.mem.indexOf(u8, text, needle) != null) return true;
    }
    return false;
}

/// Turns `loop` until `pane` shows `needle`; false when it never does.
fn waitText(loop: *PollLoop, client: *muxlink.Client, seen: *Seen, pane: u32, needle: []const u8) !bool {
    var turns: usize = 0;
    while (!screenHas(client, pane, needle) and turns < max_turns) : (turns += 1) {
        try loop.turn(client);
        try pump(client, seen);
    }
    return screenHas(client, pane, needle);
}

/// Ends the server whatever drive mode the client is in: back on the built-in loop, then
/// `kill-server` and turns until the client has closed.
fn killServer(client: *muxlink.Client, seen: *Seen) void {
    client.useBuiltinLoop() catch {};
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
        self.result = self.remote.sendInput(self.pane, "echo queued-$((6*7))\r");
    }
};

test "the host's own loop drives a client against real tmux" {
    var name_buf: [64]u8 = undefined;
    const socket = try std.fmt.bufPrint(&name_buf, "muxlink-zig-hostloop-{d}", .{std.c.getpid()});
    // Last of all (defers run last first): after the server is killed.
    defer tmux.removeSocket(socket);

    var first: PollLoop = .{};
    try first.open();
    defer first.close();
    var second: PollLoop = .{};
    try second.open();
    defer second.close();
    var failing: PollLoop = .{ .fail_watch = true };
    try failing.open();
    defer failing.close();

    var client = try muxlink.Client.init(.{ .cols = 80, .rows = 24 });
    var seen: Seen = .{};
    // Freed after the server is killed (defers run last first).
    defer client.deinit();
    try client.spawn(.{ .action = .new, .socket_name = socket, .config_file = "/dev/null" });
    defer killServer(&client, &seen);

    // The built-in loop hands the client over to ours: its pipes are watched during the
    // call.
    try client.setBackend(PollLoop, &first);
    try std.testing.expect(first.watching() >= 1);
    try std.testing.expectEqual(first.watching(), try client.watched());
    try std.testing.expectError(error.WrongMode, client.turn(0));

    var turns: usize = 0;
    while (!seen.ready and !seen.exited and turns < max_turns) : (turns += 1) {
        try first.turn(&client);
        try pump(&client, &seen);
    }
    try std.testing.expect(seen.ready);
    const act = try client.active();
    try std.testing.expect(act.pane != muxlink.none);

    // Typed, run by the shell, read back through our loop: only the shell's output says 42.
    _ = try client.sendInput(act.pane, "echo loop-$((6*7))\r");
    try std.testing.expect(try waitText(&first, &client, &seen, act.pane, "loop-42"));

    // Another thread queues input; its wake reaches our loop through the pipe.
    var typist: Typist = .{ .remote = try client.remote(), .pane = act.pane };
    defer typist.remote.deinit();
    const thread = try std.Thread.spawn(.{}, Typist.run, .{&typist});
    thread.join();
    try typist.result;
    try std.testing.expect(first.wakes.load(.seq_cst) >= 1);
    try std.testing.expect(try waitText(&first, &client, &seen, act.pane, "queued-42"));

    // Swapped to the built-in loop: ours is left with nothing registered, released once.
    try client.useBuiltinLoop();
    try std.testing.expectEqual(@as(usize, 0), first.watching());
    try std.testing.expect(first.timer_at == null);
    try std.testing.expectEqual(@as(u32, 1), first.released_count.load(.seq_cst));
    try std.testing.expectEqual(@as(usize, 0), try client.watched());
    try std.testing.expectError(error.WrongMode, client.onReady(0, .{ .readable = true }));

    // A loop that refuses to watch: the call fails, the client waits with no backend, and
    // the refused loop is released once all the same.
    try std.testing.expectError(error.Callback, client.setBackend(PollLoop, &failing));
    try std.testing.expectEqual(@as(u32, 1), failing.released_count.load(.seq_cst));
    try std.testing.expectError(error.WrongMode, client.turn(0));

    // A second loop picks the client up where it was.
    try client.setBackend(PollLoop, &second);
    try std.testing.expect(second.watching() >= 1);
    // The header's contract: one setTimer during setBackend (the first deadline, or none).
    try std.testing.expectEqual(@as(usize, 1), second.timer_calls);
    _ = try client.sendInput(act.pane, "echo second-$((6*7))\r");
    try std.testing.expect(try waitText(&second, &client, &seen, act.pane, "second-42"));

    // Removed: nothing registered, released once; the client waits for a loop.
    try client.removeBackend();
    try std.testing.expectEqual(@as(usize, 0), second.watching());
    try std.testing.expect(second.timer_at == null);
    try std.testing.expectEqual(@as(u32, 1), second.released_count.load(.seq_cst));
    try std.testing.expectEqual(@as(u32, 1), first.released_count.load(.seq_cst));
    try std.testing.expect(!seen.exited);
}
