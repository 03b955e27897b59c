//! What the live tests need of tmux besides the binding.
const std = @import("std");

/// Removes the socket file of the server on `-L name` (/tmp/tmux-UID/NAME, or under
/// $TMUX_TMPDIR): tmux leaves it behind when the server exits, and test runs would pile
/// them up.
pub fn removeSocket(name: []const u8) void {
    var buf: [512]u8 = undefined;
    const env: ?[*:0]const u8 = std.c.getenv("TMUX_TMPDIR");
    const dir: []const u8 = if (env) |d| (if (d[0] != 0) std.mem.span(d) else "/tmp") else "/tmp";
    const path = std.fmt.bufPrintZ(&buf, "{s}/tmux-{d}/{s}", .{ dir, std.c.getuid(), name }) catch return;
    _ = std.c.unlink(path);
}
