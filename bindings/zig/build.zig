//! The muxlink Zig package: the `muxlink` module over the C ABI (`crates/ffi/include/muxlink.h`)
//! and `libmuxlink`, built by cargo in this repository.
//!
//!   zig build test                      builds libmuxlink with cargo, then runs the tests
//!   zig build test -Dlink=static        the same against libmuxlink.a
//!   zig build test -Dcargo=false        links what cargo already built
//!   zig build run-example -- -L SOCKET  attaches to a tmux server, prints each pane
//!
//! Options: -Dprofile=release|debug (the cargo profile, default release), -Dtarget-dir=PATH
//! (cargo's target directory; default $CARGO_TARGET_DIR or the repository's target/),
//! -Dlink=dynamic|static, -Dcargo=false.
const std = @import("std");

const LinkMode = enum { dynamic, static };

pub fn build(b: *std.Build) void {
    const target = b.standardTargetOptions(.{});
    const optimize = b.standardOptimizeOption(.{});

    const profile = b.option([]const u8, "profile", "cargo profile to build and link (release or debug)") orelse "release";
    const link = b.option(LinkMode, "link", "link libmuxlink dynamically or statically") orelse .dynamic;
    const run_cargo = b.option(bool, "cargo", "build libmuxlink (and the muxlink CLI the tests use) with cargo first") orelse true;
    const target_dir: std.Build.LazyPath = if (b.option([]const u8, "target-dir", "cargo's target directory")) |dir|
        .{ .cwd_relative = dir }
    else if (b.graph.environ_map.get("CARGO_TARGET_DIR")) |dir|
        .{ .cwd_relative = dir }
    else
        b.path("../../target");
    const lib_dir = target_dir.path(b, profile);

    // cargo decides itself whether anything needs rebuilding; this step always asks it.
    const cargo = b.addSystemCommand(&.{ "cargo", "build", "-p", "muxlink-ffi", "-p", "muxlink-cli" });
    if (std.mem.eql(u8, profile, "release")) cargo.addArg("--release");
    cargo.setCwd(b.path("../.."));
    cargo.setName("cargo build libmuxlink");

    const header = b.addTranslateC(.{
        .root_source_file = b.path("../../crates/ffi/include/muxlink.h"),
        .target = target,
        .optimize = optimize,
    });
    if (run_cargo) header.step.dependOn(&cargo.step);

    const muxlink = b.addModule("muxlink", .{
        .root_source_file = b.path("src/muxlink.zig"),
        .target = target,
        .optimize = optimize,
        .link_libc = true,
        .imports = &.{.{ .name = "muxlink_c", .module = header.createModule() }},
    });
    switch (link) {
        .dynamic => {
            muxlink.addLibraryPath(lib_dir);
            muxlink.addRPath(lib_dir);
            muxlink.linkSystemLibrary("muxlink", .{ .use_pkg_config = .no });
        },
        .static => {
            muxlink.addObjectFile(lib_dir.path(b, "libmuxlink.a"));
            // What Rust's standard library needs from the system when linked statically.
            for ([_][]const u8{ "gcc_s", "util", "rt", "pthread", "m", "dl" }) |lib|
                muxlink.linkSystemLibrary(lib, .{ .use_pkg_config = .no });
        },
    }

    // The tests compare rows read through the binding with `muxlink replay --json` for the
    // same recorded streams; the streams and the JSON are embedded in a `fixtures` module.
    const fixtures_dir = b.addWriteFiles();
    var fixtures_src: std.ArrayList(u8) = .empty;
    const streams = [_][]const u8{ "vim", "windows" };
    for (streams) |name| {
        const stream = b.path(b.fmt("../../crates/proto/tests/fixtures/tmux-3.3a-{s}.stream", .{name}));
        const replay = std.Build.Step.Run.create(b, b.fmt("muxlink replay {s}", .{name}));
        replay.addFileArg(lib_dir.path(b, "muxlink"));
        replay.addArgs(&.{ "replay", "--size", "80x24", "--json" });
        replay.addFileArg(stream);
        if (run_cargo) replay.step.dependOn(&cargo.step);
        _ = fixtures_dir.addCopyFile(stream, b.fmt("{s}.stream", .{name}));
        _ = fixtures_dir.addCopyFile(replay.captureStdOut(.{}), b.fmt("{s}.json", .{name}));
        fixtures_src.print(b.allocator,
            \\pub const {0s} = .{{ .stream = @embedFile("{0s}.stream"), .json = @embedFile("{0s}.json") }};
            \\
        , .{name}) catch @panic("OOM");
    }
    const fixtures = b.createModule(.{
        .root_source_file = fixtures_dir.add("fixtures.zig", fixtures_src.items),
    });

    const tests = b.addTest(.{
        .root_module = b.createModule(.{
            .root_source_file = b.path("tests/replay_test.zig"),
            .target = target,
            .optimize = optimize,
            .imports = &.{
                .{ .name = "muxlink", .module = muxlink },
                .{ .name = "fixtures", .module = fixtures },
            },
        }),
    });
    if (run_cargo) tests.step.dependOn(&cargo.step);
    const test_step = b.step("test", "Run the binding's tests against libmuxlink");
    test_step.dependOn(&b.addRunArtifact(tests).step);

    // Against real tmux on a private socket (tmux must be on PATH).
    const live_tests = b.addTest(.{
        .root_module = b.createModule(.{
            .root_source_file = b.path("tests/live_test.zig"),
            .target = target,
            .optimize = optimize,
            .imports = &.{.{ .name = "muxlink", .module = muxlink }},
        }),
    });
    if (run_cargo) live_tests.step.dependOn(&cargo.step);
    test_step.dependOn(&b.addRunArtifact(live_tests).step);

    // The host-loop drive mode: a poll() loop in Zig drives a client against real tmux.
    const hostloop_tests = b.addTest(.{
        .root_module = b.createModule(.{
            .root_source_file = b.path("tests/hostloop_test.zig"),
            .target = target,
            .optimize = optimize,
            .imports = &.{.{ .name = "muxlink", .module = muxlink }},
        }),
    });
    if (run_cargo) hostloop_tests.step.dependOn(&cargo.step);
    test_step.dependOn(&b.addRunArtifact(hostloop_tests).step);

    // The example host: `zig build run-example -- -L SOCKET`.
    const example = b.addExecutable(.{
        .name = "print-panes",
        .root_module = b.createModule(.{
            .root_source_file = b.path("examples/print_panes.zig"),
            .target = target,
            .optimize = optimize,
            .imports = &.{.{ .name = "muxlink", .module = muxlink }},
        }),
    });
    if (run_cargo) example.step.dependOn(&cargo.step);
    b.installArtifact(example);
    const run_example = b.addRunArtifact(example);
    if (b.args) |args| run_example.addArgs(args);
    const run_step = b.step("run-example", "Attach to a tmux server and print what each pane shows");
    run_step.dependOn(&run_example.step);
    // The example is compiled by `zig build test` too, so that it cannot rot.
    test_step.dependOn(&example.step);
}
