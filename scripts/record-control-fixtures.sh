#!/usr/bin/env bash
# Records control-mode streams from the installed tmux into crates/proto/tests/fixtures/.
#
# Each scenario starts a `tmux -L <private socket> -f /dev/null -C new-session -x 80 -y 24`
# client whose stdin is a FIFO this script writes commands into, and saves the client's stdout
# byte for byte as tmux-<version>-<scenario>.stream. A private socket per scenario: never the
# default server. Timing is by sleeps, so re-recording gives different bytes (times, prompts,
# chunking) but the same structure; the tests assert structure, not bytes.
#
# Usage: scripts/record-control-fixtures.sh [scenario...]   (default: all)
# FIXTURE_OUT_DIR=dir records elsewhere (e.g. to compare with the committed files).
# Scenarios: windows, flood, vim.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
out_dir="${FIXTURE_OUT_DIR:-$here/crates/proto/tests/fixtures}"
mkdir -p "$out_dir"
version=$(tmux -V | awk '{print $2}')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A quiet, predictable shell in every pane.
shell_cmd="env -i HOME=$work TERM=screen PATH=/usr/bin:/bin PS1='\$ ' bash --norc --noprofile"

send() { printf '%s\n' "$*" >&3; }
pause() { sleep "${1:-0.4}"; }

record() {
    local name=$1 fn=$2
    sock="muxlink-rec-$$-$name"
    local fifo="$work/$name.fifo"
    local out="$out_dir/tmux-$version-$name.stream"
    mkfifo "$fifo"
    tmux -L "$sock" -f /dev/null -C new-session -x 80 -y 24 "$shell_cmd" <"$fifo" >"$out" 2>/dev/null &
    local pid=$!
    exec 3>"$fifo"
    pause 0.8
    send "set-option -g status off"
    send "set-option -g default-command \"$shell_cmd\""
    pause
    "$fn"
    pause
    exec 3>&-
    # The client exits on detach/kill-server; make sure nothing is left behind.
    wait "$pid" 2>/dev/null || true
    tmux -L "$sock" kill-server 2>/dev/null || true
    rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$sock"
    echo "recorded $out ($(wc -c <"$out") bytes)"
}

scenario_windows() {
    send "send-keys -t %0 'echo hello from pane zero' Enter"
    pause
    send "split-window -h"
    pause
    send "send-keys 'printf \"tab\\\\there\\\\\\\\back\\\\n\"' Enter"
    pause
    send "split-window -v -t %1"
    pause
    send "resize-pane -Z -t %2"
    pause
    send "resize-pane -Z -t %2"
    pause
    send "refresh-client -C 100x30"
    pause
    send "new-window -n second"
    pause
    send "rename-window -t @1 'renamed window'"
    pause
    send "rename-session -t \$0 work"
    pause
    send "select-window -t @0"
    pause
    send "list-windows -F '#{window_id} #{window_name} #{window_layout}'"
    send "display-message -p one ; display-message -p two"
    send "select-window -t @99 ; display-message -p skipped"
    send "bogus-command"
    # Body lines that imitate a terminator and a notification.
    send "set-buffer -b fake '%end 1 2 1'"
    send "show-buffer -b fake"
    send "set-buffer -b fake2 '%output %0 not output'"
    send "show-buffer -b fake2"
    pause
    # Flow control: output becomes %extended-output; explicit pause and continue.
    send "refresh-client -f pause-after=5"
    send "send-keys -t %0 'echo flow' Enter"
    pause
    send "refresh-client -A '%0:pause'"
    pause
    send "refresh-client -A '%0:continue'"
    pause
    send "refresh-client -f pause-after=none"
    # Subscriptions are checked once a second.
    send "refresh-client -B 'cmd:%*:#{pane_current_command}'"
    send "refresh-client -B 'sess::#{session_name}'"
    sleep 1.5
    send "refresh-client -B cmd"
    send "refresh-client -B sess"
    # Copy mode in and out.
    send "copy-mode -t %0"
    pause
    send "send-keys -X -t %0 cancel"
    pause
    # A second control client switches session and detaches.
    send "new-session -d -s other"
    pause
    (printf 'switch-client -t other\n'; sleep 0.5) |
        tmux -L "$sock" -C attach -t work >/dev/null 2>&1 || true
    pause
    send "kill-pane -t %1"
    pause
    send "kill-window -t @1"
    pause
    send "detach-client"
}

scenario_flood() {
    # No CR before LF: keeps the recording under 2 MiB.
    send "send-keys -t %0 'stty -onlcr; seq 1 200000; stty onlcr' Enter"
    sleep 6
    send "display-message -p done"
    pause
    send "kill-server"
}

scenario_vim() {
    printf 'line %s of a file for vim\n' $(seq 1 60) >"$work/file.txt"
    printf '#include <stdio.h>\nint main(void) { printf("hi\\n"); return 0; }\n' >"$work/hello.c"
    send "send-keys -t %0 'vim -u NONE -N -c \"syntax on\" $work/hello.c' Enter"
    sleep 1.5
    send "send-keys -t %0 ':e $work/file.txt' Enter"
    pause 0.8
    send "send-keys -t %0 G"
    pause
    send "send-keys -t %0 gg"
    pause
    send "split-window -h"
    pause
    send "send-keys -t %0 ':q!' Enter"
    pause 0.8
    send "kill-server"
}

scenarios=("$@")
[ ${#scenarios[@]} -eq 0 ] && scenarios=(windows flood vim)
for s in "${scenarios[@]}"; do
    record "$s" "scenario_$s"
done
