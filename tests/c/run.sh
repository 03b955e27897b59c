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
# Then it installs the library under a prefix (crates/ffi/install.sh) and builds the harness
# with what `pkg-config --cflags --libs muxlink` says; and it builds libmuxlink.a with
# AddressSanitizer (Rust and C both instrumented, LeakSanitizer on) and, with std rebuilt
# instrumented by the nightly toolchain, ThreadSanitizer, and runs the harness under each.
#
#   MUXLINK_PROFILE=release|debug   the cargo profile to build and link (default release)
#   SKIP_VALGRIND=1                 no valgrind runs
#   SKIP_SANITIZERS=1               no ASan/TSan builds and runs
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

parts=(replay bad ledger pause live bytes hostloop hostfed threads)

run_plain() {
    "$out/$1" "${@:2}" --muxlink "$lib_dir/muxlink" --expected "$out/expected.txt" "${parts[@]}"
}

run_valgrind() {
    local log=$out/valgrind-$1${2:+$2}.log
    MUXLINK_UNDER_VALGRIND=1 valgrind --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=definite,indirect \
        --track-origins=yes --track-fds=yes --malloc-fill=0xAA --free-fill=0xBB --child-silent-after-fork=yes \
        --error-exitcode=1 --log-file="$log" \
        "$out/$1" "${@:2}" --muxlink "$lib_dir/muxlink" --expected "$out/expected.txt" "${parts[@]}"
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

# ---- pkg-config: the installed library, found the way a host's build finds it ----

install_prefix() {
    rm -rf "$out/prefix"
    MUXLINK_PROFILE=$profile crates/ffi/install.sh "$out/prefix" --no-build
}

build_pkgconfig() {
    export PKG_CONFIG_PATH=$out/prefix/lib/pkgconfig
    local flags
    flags=$(pkg-config --cflags --libs muxlink) || return 1
    echo "pkg-config --cflags --libs muxlink: $flags"
    pkg-config --static --libs muxlink | grep -q -- -lpthread || {
        echo "pkg-config --static lists no system libraries"
        return 1
    }
    # shellcheck disable=SC2086 # pkg-config's output is a list of flags
    cc -std=c11 -O1 -g -Wall -Wextra -Werror -pedantic tests/c/harness.c -o "$out/harness-pc" \
        $flags -Wl,-rpath,"$out/prefix/lib"
    # The binary must load the installed library, not the one in cargo's target directory.
    local libs
    libs=$(ldd "$out/harness-pc")
    grep -q "$out/prefix/lib/libmuxlink.so" <<<"$libs" || {
        echo "harness-pc does not load the installed libmuxlink.so:"
        echo "$libs"
        return 1
    }
}

# The README's first C host, built through pkg-config, against a server of its own.
first_host() {
    export PKG_CONFIG_PATH=$out/prefix/lib/pkgconfig
    # shellcheck disable=SC2046 # pkg-config's output is a list of flags
    cc -std=c11 -Wall -Wextra -Werror -pedantic tests/c/first_host.c -o "$out/first-host" \
        $(pkg-config --cflags --libs muxlink) -Wl,-rpath,"$out/prefix/lib" || return 1
    local sock=mxc-first-$$ shown rc=0
    tmux -L "$sock" -f /dev/null new-session -d -x 80 -y 24 'echo first-host-$((6*7)); exec sleep 300' || return 1
    for _ in $(seq 100); do
        tmux -L "$sock" capture-pane -p | grep -q first-host-42 && break
        sleep 0.1
    done
    shown=$("$out/first-host" "$sock") || rc=$?
    tmux -L "$sock" kill-server 2>/dev/null
    # tmux leaves its socket file behind when it exits.
    rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$sock"
    echo "$shown" | head -3
    ((rc == 0)) && grep -q '^first-host-42$' <<<"$shown"
}

# ---- sanitizers: libmuxlink.a instrumented, the harness compiled with the same sanitizer ----

host_target=x86_64-unknown-linux-gnu
asan_dir=$target_dir/asan
tsan_dir=$target_dir/tsan

# AddressSanitizer: the stable compiler takes -Zsanitizer with RUSTC_BOOTSTRAP (as the fuzz
# step does); std stays uninstrumented, which loses checks inside std but reports nothing
# false. The same target directory serves `cargo test` under ASan (scripts/test-all).
build_asan() {
    RUSTC_BOOTSTRAP=1 RUSTFLAGS="-Zsanitizer=address" CARGO_TARGET_DIR=$asan_dir \
        cargo build --target "$host_target" -p muxlink-ffi &&
        cc "${cflags[@]}" -fsanitize=address -fno-omit-frame-pointer tests/c/harness.c \
            -o "$out/harness-asan" "$asan_dir/$host_target/debug/libmuxlink.a" \
            -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
}

run_asan() {
    ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1 \
        LSAN_OPTIONS=report_objects=1 \
        "$out/harness-asan" "$@" --muxlink "$lib_dir/muxlink" --expected "$out/expected.txt" "${parts[@]}"
}

# ThreadSanitizer needs every line that touches shared memory instrumented, std included
# (uninstrumented atomics in std's channels and Arc are what its false positives come
# from): std is rebuilt from the nightly's rust-src with -Zbuild-std.
build_tsan() {
    if ! rustup component list --toolchain nightly --installed 2>/dev/null | grep -q '^rust-src'; then
        rustup component add rust-src --toolchain nightly || return 1
    fi
    RUSTFLAGS="-Zsanitizer=thread" CARGO_TARGET_DIR=$tsan_dir \
        cargo +nightly build -Zbuild-std --target "$host_target" -p muxlink-ffi || return 1
    # The harness is instrumented by cc; the runtime linked is the one the Rust toolchain
    # ships (its instrumentation calls entry points, such as __tsan_memcpy, that an older
    # libtsan from the C compiler lacks; the runtime serves both).
    local rt
    rt="$(rustc +nightly --print sysroot)/lib/rustlib/$host_target/lib/librustc-nightly_rt.tsan.a"
    [[ -f $rt ]] || { echo "no TSan runtime at $rt"; return 1; }
    cc "${cflags[@]}" -fsanitize=thread -c tests/c/harness.c -o "$out/harness-tsan.o" &&
        cc "$out/harness-tsan.o" -o "$out/harness-tsan" "$tsan_dir/$host_target/debug/libmuxlink.a" \
            -Wl,--whole-archive "$rt" -Wl,--no-whole-archive \
            -lstdc++ -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
}

# The parts with more than one thread: input and calls queued from another thread while
# the client runs, and the host loop woken from another thread.
run_tsan() {
    TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 "$out/harness-tsan" "$@" threads hostloop
}

step build-rust build_rust
streams=(crates/proto/tests/fixtures/tmux-3.3a-vim.stream crates/proto/tests/fixtures/tmux-3.3a-windows.stream)
step expected-rows expected_rows "${streams[@]}"
step build-shared build_shared
step build-static build_static
step "shared, host allocator" run_plain harness-shared
step "static, host allocator" run_plain harness-static
step "shared, system allocator" run_plain harness-shared --system-allocator
step install install_prefix
step build-pkgconfig build_pkgconfig
step "pkg-config build, bad calls" "$out/harness-pc" bad
step "first host (README)" first_host
if [[ "${SKIP_VALGRIND:-}" != 1 ]]; then
    step "valgrind: shared, host allocator" run_valgrind harness-shared
    step "valgrind: static, system allocator" run_valgrind harness-static --system-allocator
fi

if [[ "${SKIP_SANITIZERS:-}" != 1 ]]; then
    step build-asan build_asan
    step "asan+lsan: host allocator" run_asan
    step "asan+lsan: system allocator" run_asan --system-allocator
    step build-tsan build_tsan
    step "tsan: threads, hostloop" run_tsan
fi

echo
if ((failed > 0)); then
    echo "failed: ${failed_steps[*]}"
fi
echo "tests/c/run.sh: $passed passed, $failed failed"
((failed == 0))
