#!/usr/bin/env bash
# Records the control streams of muxlink-bench's `pipeline`, `router` and `soak` groups: the
# stdout of a `tmux -C` client (tmux 3.3a) attached to a private server while programs run.
#
#   bash crates/bench/workloads/pipeline/record.sh [OUTDIR]
#
# Writes into OUTDIR (default: this script's folder):
#   flood.stream       one 120x40 pane printing `seq 1 250000` as fast as it can
#   vim.stream         one 120x40 pane: vim with syntax on paging, half-paging, scrolling line
#                      by line and searching through two large Rust files, then a split
#   many_panes.stream  a 240x66 window split into 24 panes, all printing at once (coloured
#                      `ls`, `seq`, `grep --color`), with the layout changes of the splits
#
# Every file is kept under 8 MiB. Recordings are data: they are committed and the benchmark
# never re-records them. The server runs on its own socket (-L) with no config and is killed
# at the end; a default server is never touched. The client size is set with
# `refresh-client -C` (tmux 3.3a dies on `new-window` from a control client under
# `window-size manual`, so the windows follow the latest client).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here}"
mkdir -p "$out"
work="$(mktemp -d)"
base="muxlink-bench-pipe-$$"
sock="$base"
tm() { tmux -L "$sock" -f /dev/null "$@"; }
cleanup() {
    exec 3>&- 2>/dev/null || true
    for s in "$base-flood" "$base-vim" "$base-panes"; do
        tmux -L "$s" -f /dev/null kill-server 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

# Any large text files to look at: the largest Rust sources cargo has unpacked.
src_dir="$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/ | head -n1)"
big_rs="$(find "$src_dir" -name '*.rs' -size +60k 2>/dev/null | sort | head -n 3)"
big1="$(echo "$big_rs" | sed -n 1p)"
big2="$(echo "$big_rs" | sed -n 2p)"
test -n "$big1" -a -n "$big2" || { echo "record.sh: no large .rs files found" >&2; exit 1; }

shell="env -i HOME=$HOME PATH=$PATH TERM=tmux-256color LANG=C.UTF-8 PS1='\$ ' bash --norc --noprofile"

start_server() { # $1: cols, $2: rows
    tm -2 new-session -d -s rec -x "$1" -y "$2" "$shell"
    tm set -g status off
    tm set -g window-size latest
    tm set -g default-terminal tmux-256color
    tm set -g history-limit 2000
    tm set -g escape-time 0
}

start_control() { # $1: output file, $2: cols, $3: rows
    mkfifo "$work/ctl.in"
    tm -C attach -t rec < "$work/ctl.in" > "$1" &
    exec 3> "$work/ctl.in"
    sleep 0.3
    echo "refresh-client -C $2x$3" >&3
    sleep 0.5
}

stop_control() {
    echo "detach-client" >&3
    sleep 0.5
    exec 3>&-
    wait || true
    rm -f "$work/ctl.in"
    tm kill-server 2>/dev/null || true
    sleep 0.3
}

# Runs one shell command line in pane $1 and waits until it has finished.
run_in() {
    local pane="$1"; shift
    tm send-keys -t "$pane" "$* ; tmux -L '$sock' wait-for -S bench-done" Enter
    tm wait-for bench-done
}
keys() { tm send-keys -t "$@"; sleep 0.03; }

# ---- flood ----------------------------------------------------------------------------------
sock="$base-flood"
start_server 120 40
start_control "$out/flood.stream" 120 40
run_in rec:0.0 "seq 1 250000"
sleep 0.5
stop_control

# ---- vim --------------------------------------------------------------------------------------
sock="$base-vim"
start_server 120 40
start_control "$out/vim.stream" 120 40
keys rec:0.0 "vim -u NONE -N -i NONE -c 'syntax on' -c 'set number hlsearch ruler' $big1" Enter
sleep 1
for _ in $(seq 1 60); do keys rec:0.0 C-f; done
for _ in $(seq 1 60); do keys rec:0.0 C-b; done
for _ in $(seq 1 80); do keys rec:0.0 C-d; done
for _ in $(seq 1 300); do keys rec:0.0 j; done
for _ in $(seq 1 150); do keys rec:0.0 C-e; done
for _ in $(seq 1 150); do keys rec:0.0 k; done
keys rec:0.0 "/self" Enter
for _ in $(seq 1 60); do keys rec:0.0 n; done
keys rec:0.0 ":vsplit $big2" Enter
for _ in $(seq 1 60); do keys rec:0.0 C-d; done
keys rec:0.0 C-w w
for _ in $(seq 1 60); do keys rec:0.0 C-u; done
keys rec:0.0 ":qa!" Enter
sleep 0.5
stop_control

# ---- many panes -------------------------------------------------------------------------------
sock="$base-panes"
start_server 240 66
start_control "$out/many_panes.stream" 240 66
for _ in $(seq 1 23); do
    tm split-window -t rec:0 "$shell"
    tm select-layout -t rec:0 tiled
done
sleep 1
n=0
for p in $(tm list-panes -t rec:0 -F '#{pane_id}'); do
    case $((n % 3)) in
    0) cmd="for r in 1 2; do ls --color=always -la /usr/bin | head -n 250; seq 1 1200; done" ;;
    1) cmd="for r in 1 2; do grep --color=always -n -E 'fn |let |impl ' $big1 | head -n 300; done" ;;
    2) cmd="for r in 1 2 3; do seq -f 'line %g of a log with some words in it' 1 400; done" ;;
    esac
    tm send-keys -t "$p" "$cmd; tmux -L '$sock' wait-for -S done-$n" Enter
    n=$((n + 1))
done
for i in $(seq 0 $((n - 1))); do tm wait-for "done-$i"; done
sleep 0.5
stop_control

ls -l "$out"/*.stream
for f in "$out"/*.stream; do
    size=$(stat -c %s "$f")
    if [ "$size" -ge $((8 << 20)) ]; then echo "record.sh: $f is over 8 MiB" >&2; exit 1; fi
done
