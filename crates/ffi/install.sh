#!/usr/bin/env bash
# Installs the C library under a prefix, as a distribution or a host's build would:
#
#   PREFIX/include/muxlink.h
#   PREFIX/lib/libmuxlink.so, PREFIX/lib/libmuxlink.a
#   PREFIX/lib/pkgconfig/muxlink.pc     (`pkg-config --cflags --libs muxlink`; `--static`
#                                        adds what Rust's standard library needs from libc)
#
#   crates/ffi/install.sh PREFIX [--no-build]
#
# Builds libmuxlink with cargo first unless --no-build; CARGO_TARGET_DIR is honoured, and
# MUXLINK_PROFILE=release|debug picks the profile (default release).
set -euo pipefail

if [[ $# -lt 1 ]]; then
    echo "usage: $0 PREFIX [--no-build]" >&2
    exit 2
fi
prefix=$1
build=1
[[ ${2:-} == --no-build ]] && build=0

cd "$(dirname "$0")/../.."
root=$PWD
target_dir=${CARGO_TARGET_DIR:-$root/target}
profile=${MUXLINK_PROFILE:-release}
lib_dir=$target_dir/$profile

if ((build)); then
    if [[ $profile == release ]]; then
        cargo build --release -p muxlink-ffi
    else
        cargo build -p muxlink-ffi
    fi
fi
for f in libmuxlink.so libmuxlink.a; do
    [[ -f $lib_dir/$f ]] || { echo "missing $lib_dir/$f (build it, or drop --no-build)" >&2; exit 1; }
done

# The version the crates carry (the workspace's).
version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml)
abi=$(sed -n 's/^#define MUXLINK_ABI_VERSION \([0-9]*\).*/\1/p' crates/ffi/include/muxlink.h)

mkdir -p "$prefix/include" "$prefix/lib/pkgconfig"
prefix=$(cd "$prefix" && pwd)
install -m 0644 crates/ffi/include/muxlink.h "$prefix/include/muxlink.h"
install -m 0755 "$lib_dir/libmuxlink.so" "$prefix/lib/libmuxlink.so"
install -m 0644 "$lib_dir/libmuxlink.a" "$prefix/lib/libmuxlink.a"
# Libs.private: what Rust's standard library needs when libmuxlink.a is linked
# (`rustc --print native-static-libs` on Linux with glibc).
cat >"$prefix/lib/pkgconfig/muxlink.pc" <<PC
prefix=$prefix
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: muxlink
Description: native tmux integration for terminal emulators (C ABI version $abi)
Version: $version
Libs: -L\${libdir} -lmuxlink
Libs.private: -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
Cflags: -I\${includedir}
PC
echo "installed muxlink $version (ABI $abi) under $prefix"
