#!/usr/bin/env bash
# Builds the C harness (tests/c/harness.c) against crates/ffi/include/muxlink.h, links it to
# libmuxlink.so and to libmuxlink.a, and runs it plain and under valgrind's memcheck. The
# harness replays recorded control streams through the C ABI, compares every pane row with
# what `muxlink replay --json` reports, checks the allocation ledger (every block muxlink
# allocates through the host's allocator comes back) and makes bad calls (NULLs, wrong sizes,
# wrong ABI versions, short buffers, calls after close, _free(NULL)).
#
# Every step runs; the last line says how many passed and failed; the exit status is non-zero
# on any finding.
#
#   MUXLINK_PROFILE=release|debug   the cargo profile to build and link (default release)
#   SKIP_VALGRIND=1                 plain runs only
set -uo pipefail

cd "$(dirname "$0")/../.."
root=$PWD
profile=${MUXLINK_PROFILE:-release}
target_dir=${CARGO_TARGET_DIR:-$root/target}
lib_dir=$target_dir/$profile
out=$target_dir/c-harness
mkdir -p "$out"

passed=0
failed=0
failed_steps=()

# step NAME CMD...: runs CMD and records the outcome.
step() {
    local name=$1
    shift
    echo
    echo "==> [c/$name]"
    if "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        failed_steps+=("$name")
    fi
}

build_rust() {
    local flags=()
    [[ $profile == release ]] && flags+=(--release)
    [[ $profile == release || $profile == debug ]] || {
        echo "MUXLINK_PROFILE must be release or debug"
        return 1
    }
    cargo build "${flags[@]}" -p muxlink-ffi -p muxlink-cli
}

# What `muxlink replay --json` reports for each stream, in the harness's format.
expected_rows() {
    python3 - "$lib_dir/muxlink" "$out/expected.txt" "$@" <<'EOF'
import json, subprocess, sys
muxlink, dest, streams = sys.argv[1], sys.argv[2], sys.argv[3:]
with open(dest, "wb") as out:
    for path in streams:
        doc = json.loads(subprocess.run([muxlink, "replay", "--size", "80x24", "--json", path],
                                        check=True, capture_output=True).stdout)
        out.write(b"stream %s\n" % path.encode())
        for pane in doc["panes"]:
            for y, text in enumerate(pane["screen"]):
                data = text.encode()
                out.write(b"%d %d %d\n%s\n" % (int(pane["id"][1:]), y, len(data), data))
        out.write(b"end\n")
EOF
}

cflags=(-std=c11 -O1 -g -Wall -Wextra -Werror -pedantic -I"$root/crates/ffi/include")

build_shared() {
    cc "${cflags[@]}" tests/c/harness.c -o "$out/harness-shared" \
        -L"$lib_dir" -lmuxlink -Wl,-rpath,"$lib_dir"
}

# Rust's standard library needs these system libraries when linked statically (what
# `--print native-static-libs` lists on Linux with glibc).
build_static() {
    cc "${cflags[@]}" tests/c/harness.c -o "$out/harness-static" \
        "$lib_dir/libmuxlink.a" -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
}

run_plain() {
    "$out/$1" "${@:2}" "$out/expected.txt"
}

run_valgrind() {
    local log=$out/valgrind-$1${2:+$2}.log
    valgrind --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=definite,indirect \
        --track-origins=yes --track-fds=yes --malloc-fill=0xAA --free-fill=0xBB \
        --error-exitcode=1 --log-file="$log" \
        "$out/$1" "${@:2}" "$out/expected.txt"
    local rc=$?
    grep -E "ERROR SUMMARY|definitely lost|indirectly lost|FILE DESCRIPTORS" "$log" | sed 's/^==[0-9]*== //'
    # --track-fds lists every descriptor open at exit; those the harness (or muxlink) opened
    # carry a stack instead of "<inherited from parent>": a descriptor leak.
    local leaked
    leaked=$(awk '/Open (file descriptor|AF_UNIX socket)/ { fd = $0; getline; if ($0 !~ /inherited from parent/) print fd }' "$log")
    if [[ -n $leaked ]]; then
        echo "descriptors left open:"
        echo "$leaked"
        rc=1
    fi
    if ((rc != 0)); then
        echo "valgrind found problems (exit $rc); its log:"
        cat "$log"
    fi
    return $rc
}

step build-rust build_rust
streams=(crates/proto/tests/fixtures/tmux-3.3a-vim.stream crates/proto/tests/fixtures/tmux-3.3a-windows.stream)
step expected-rows expected_rows "${streams[@]}"
step build-shared build_shared
step build-static build_static
step "shared, host allocator" run_plain harness-shared
step "static, host allocator" run_plain harness-static
step "shared, system allocator" run_plain harness-shared --system-allocator
if [[ "${SKIP_VALGRIND:-}" != 1 ]]; then
    step "valgrind: shared, host allocator" run_valgrind harness-shared
    step "valgrind: static, system allocator" run_valgrind harness-static --system-allocator
fi

echo
if ((failed > 0)); then
    echo "failed: ${failed_steps[*]}"
fi
echo "tests/c/run.sh: $passed passed, $failed failed"
((failed == 0))
