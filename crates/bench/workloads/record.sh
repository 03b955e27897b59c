#!/usr/bin/env bash
# Records the real-program workloads of muxlink-bench from a private tmux server.
#
#   bash crates/bench/workloads/record.sh [OUTDIR]
#
# Writes into OUTDIR (default: this script's folder, under recorded/):
#   colour.raw        raw pane output (pipe-pane) of colour-heavy programs: ls --color, grep
#                     --color, diff --color at 80x24                   -> emulator medium_cells
#   session.raw       raw pane output of full-screen programs: vim with syntax and splits,
#                     less, top, a shell                               -> emulator real_session
#   colour.stream     stdout of a `tmux -C` client during both parts   -> proto escape_heavy
#   mixed.stream      stdout of a `tmux -C` client driving windows, splits, renames, resizes,
#                     list-* commands and output in several panes      -> proto mixed
#
# Recordings are data: they are committed and the benchmark never re-records them. The tmux
# server runs on its own socket (-L) with no config and is killed at the end; a default server
# is never touched.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/recorded}"
mkdir -p "$out"
work="$(mktemp -d)"
sock="muxlink-bench-rec-$$"
tm() { tmux -L "$sock" -f /dev/null "$@"; }
cleanup() {
    exec 3>&- 2>/dev/null || true
    tm kill-server 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# Sources to look at: the largest Rust files cargo has unpacked (any text would do).
src_dir="$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/ | head -n1)"
big_rs="$(find "$src_dir" -name '*.rs' -size +60k 2>/dev/null | sort | head -n 3)"
big1="$(echo "$big_rs" | sed -n 1p)"
big2="$(echo "$big_rs" | sed -n 2p)"
test -n "$big1" -a -n "$big2" || { echo "record.sh: no large .rs files found" >&2; exit 1; }

# Runs one shell command line in pane $1 and waits until it has finished.
run_in() {
    local pane="$1"; shift
    tm send-keys -t "$pane" "$* ; tmux -L '$sock' wait-for -S bench-done" Enter
    tm wait-for bench-done
}
keys() { tm send-keys -t "$@"; sleep 0.05; }

start_server() {
    tm -2 new-session -d -s rec -x 80 -y 24 "env -i HOME=$HOME PATH=$PATH TERM=tmux-256color LANG=C.UTF-8 PS1='\$ ' bash --norc --noprofile"
    tm set -g status off
    tm set -g window-size manual
    tm set -g default-terminal tmux-256color
    tm set -g history-limit 2000
    tm set -g escape-time 0
}

start_control() { # $1: output file
    mkfifo "$work/ctl.in"
    tm -C attach -t rec < "$work/ctl.in" > "$1" &
    exec 3> "$work/ctl.in"
    sleep 0.5
}

stop_control() {
    echo "detach-client" >&3
    sleep 0.5
    exec 3>&-
    wait || true
    rm -f "$work/ctl.in"
}

# ---- part 1 and 2: colour-heavy programs, then full-screen programs, one 80x24 pane ----
# (MIXED_ONLY=1 re-records part 3 alone.)
if [ -z "${MIXED_ONLY:-}" ]; then
start_server
start_control "$out/colour.stream"
tm pipe-pane -t rec:0.0 -o "cat > '$out/colour.raw'"
run_in rec:0.0 "ls --color=always -la /usr/lib /usr/bin /usr/share | head -n 1500"
run_in rec:0.0 "grep --color=always -n -E 'fn |let |pub |impl ' $big1 $big2 | head -n 3000"
run_in rec:0.0 "diff --color=always -u $big1 $big2 | head -n 2000"
run_in rec:0.0 "ls --color=always -laR /usr/share/terminfo | head -n 1500"
tm pipe-pane -t rec:0.0
sleep 0.3

tm pipe-pane -t rec:0.0 -o "cat > '$out/session.raw'"
# vim with syntax highlighting: page through two files, split, scroll both, search.
keys rec:0.0 "vim -u NONE -N -i NONE -c 'syntax on' -c 'set number hlsearch' $big1" Enter
sleep 1
for _ in $(seq 1 40); do keys rec:0.0 C-f; done
keys rec:0.0 ":vsplit $big2" Enter
for _ in $(seq 1 30); do keys rec:0.0 C-d; done
keys rec:0.0 C-w w
keys rec:0.0 "/self" Enter
for _ in $(seq 1 30); do keys rec:0.0 n; done
keys rec:0.0 ":split" Enter
for _ in $(seq 1 40); do keys rec:0.0 j j j j j j j j; done
keys rec:0.0 ":qa!" Enter
sleep 0.5
# less over coloured output.
keys rec:0.0 "grep --color=always -n . $big1 | less -R" Enter
sleep 0.5
for _ in $(seq 1 40); do keys rec:0.0 Space; done
keys rec:0.0 q
sleep 0.3
# top, refreshed quickly.
keys rec:0.0 "top -d 0.2" Enter
sleep 4
keys rec:0.0 q
sleep 0.3
run_in rec:0.0 "ls --color=always -la /usr/lib"
run_in rec:0.0 "seq 1 3000"
tm pipe-pane -t rec:0.0
stop_control
tm kill-server
sleep 0.3
fi
# A fresh socket name: the old server may still be shutting down on the first one.
sock="$sock-mixed"

# ---- part 3: a mixed control stream: windows, splits, layouts, commands, output ----
start_server
# tmux 3.3a dies on `new-window` from a control client when window-size is manual: size the
# windows by this client instead.
tm set -g window-size latest
start_control "$out/mixed.stream"
echo "refresh-client -C 80x24" >&3
for round in 1 2 3; do
    echo "list-sessions" >&3
    echo "list-windows -F '#{window_id} #{window_name} #{window_layout}'" >&3
    echo "split-window -h -t rec" >&3
    sleep 0.3
    echo "split-window -v -t rec" >&3
    sleep 0.3
    run_in rec:0.0 "ls --color=always -la /usr/lib | head -n 40"
    run_in rec:0.1 "seq 1 400"
    echo "resize-pane -t rec:0.0 -x 30" >&3
    echo "rename-window -t rec:0 'round $round'" >&3
    echo "new-window -t rec" >&3
    sleep 0.3
    run_in rec:1.0 "grep --color=always -n pub $big1 | head -n 80"
    echo "list-panes -a -F '#{pane_id} #{pane_width}x#{pane_height} #{cursor_x},#{cursor_y}'" >&3
    echo "display-message -p '#{session_name} #{window_id} #{pane_id}'" >&3
    echo "resize-window -t rec:0 -x 100 -y 30" >&3
    sleep 0.2
    echo "resize-window -t rec:0 -x 80 -y 24" >&3
    echo "select-window -t rec:0" >&3
    echo "resize-pane -Z -t rec:0.1" >&3
    sleep 0.2
    echo "resize-pane -Z -t rec:0.1" >&3
    echo "capture-pane -p -e -t rec:0.1" >&3
    echo "no-such-command" >&3
    echo "kill-window -t rec:1" >&3
    echo "kill-pane -t rec:0.2" >&3
    echo "kill-pane -t rec:0.1" >&3
    echo "rename-session -t rec rec$round" >&3
    sleep 0.3
    echo "rename-session -t rec$round rec" >&3
    sleep 0.3
done
stop_control
ls -l "$out"
