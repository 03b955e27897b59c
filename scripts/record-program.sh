#!/bin/bash
# Records a real program's raw pane output for the conformance corpus.
#
#   scripts/record-program.sh NAME COLSxROWS HISTORY_LIMIT 'COMMAND' ACTION...
#
# Starts a private tmux server (-L, -f /dev/null, status off) whose pane of exactly COLSxROWS
# runs COMMAND (from a bash script; TERM=tmux-256color, LANG=C.UTF-8, HOME a scratch
# directory so no user configuration is read), records everything the pane
# prints with `pipe-pane -O`, drives the program with the ACTIONs, and writes
# crates/term/tests/corpus/NAME.bin (the bytes) and NAME.case (size, history limit, resizes).
#
# ACTIONs, in order (after each one the script waits until the pane is quiet):
#   keys:K1 K2 ...   tmux key names for send-keys (Enter, C-d, Space, Escape, PageDown, ...)
#   text:STRING      literal text (send-keys -l)
#   sleep:SECONDS    wait (for programs that refresh on a timer, e.g. top)
#   resize:CxR       resize the window; the .case gets `resize = OFFSET CxR` at the byte
#                    offset recorded so far, so the suite replays the same resize there
#   stop             stop recording here (the program keeps running; it is then killed)
# Without `stop`, recording ends when the pane's program exits (or after the last action).
#
# The recording must end in the parser's ground state and must not contain `ESC [ 5 n`:
# the suite's oracle uses that query to know tmux has consumed the bytes. The script checks
# the second and waits for quiet (no output for QUIET seconds) before stopping, which
# in practice gives the first.
set -euo pipefail

if [ $# -lt 4 ]; then
  sed -n '2,25p' "$0" >&2
  exit 2
fi
name=$1 size=$2 limit=$3 cmd=$4
shift 4
cols=${size%x*} rows=${size#*x}
root=$(cd "$(dirname "$0")/.." && pwd)
out_dir=$root/crates/term/tests/corpus
mkdir -p "$out_dir"
QUIET=${QUIET:-0.6}
sock=muxlink-record-$$
work=$(mktemp -d)
bin=$work/out.bin
sidecar=$work/out.case
T=(tmux -L "$sock" -f /dev/null)
cleanup() { "${T[@]}" kill-server 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

size_of() { stat -c %s "$bin" 2>/dev/null || echo 0; }
# Waits until the recording has not grown for QUIET seconds (gives up after 30 s).
need=$(awk "BEGIN{print int($QUIET * 10 + 0.5)}")
wait_quiet() {
  local last now same=0 t=0
  last=$(size_of)
  while (( same < need && t < 300 )); do
    sleep 0.1
    now=$(size_of)
    if [ "$now" = "$last" ]; then same=$((same + 1)); else same=0; last=$now; fi
    t=$((t + 1))
  done
}

cat > "$work/run.sh" <<EOS
#!/bin/bash
tmux wait-for go
$cmd
tmux wait-for -S exited
exec sleep 100000
EOS
chmod +x "$work/run.sh"

unset TMUX
# A first session only to hold the server while the options are set: history-limit must be
# set before the recorded pane exists, since a pane takes it when it is created.
"${T[@]}" new-session -d -s hold -x 20 -y 5
"${T[@]}" set-option -g status off \; set-option -g exit-empty off \; \
  set-option -g history-limit "$limit" \; set-option -g default-terminal tmux-256color
"${T[@]}" new-session -d -s rec -x "$cols" -y "$rows" -e HOME="$work" -e LANG=C.UTF-8 \
  -e LC_ALL=C.UTF-8 -e PS1='$ ' "$work/run.sh"
"${T[@]}" pipe-pane -O -t rec: "cat > '$bin'"
sleep 0.2
"${T[@]}" wait-for -S go
{
  echo "size = ${cols}x${rows}"
  echo "history-limit = $limit"
  echo "source = scripts/record-program.sh $name $size $limit '$cmd' $*"
} > "$sidecar"
wait_quiet

stopped=0
for action in "$@"; do
  case $action in
    keys:*) read -r -a ks <<< "${action#keys:}"; "${T[@]}" send-keys -t rec: "${ks[@]}" ;;
    text:*) "${T[@]}" send-keys -t rec: -l "${action#text:}" ;;
    sleep:*) sleep "${action#sleep:}" ;;
    resize:*)
      wait_quiet
      echo "resize = $(size_of) ${action#resize:}" >> "$sidecar"
      sz=${action#resize:}
      "${T[@]}" resize-window -t rec: -x "${sz%x*}" -y "${sz#*x}"
      ;;
    stop) wait_quiet; "${T[@]}" pipe-pane -t rec:; stopped=1; break ;;
    *) echo "unknown action $action" >&2; exit 2 ;;
  esac
  wait_quiet
done
if [ $stopped = 0 ]; then
  # Let the program finish (it should exit after the last action), then stop.
  "${T[@]}" wait-for exited &
  waiter=$!
  for _ in $(seq 1 100); do kill -0 $waiter 2>/dev/null || break; sleep 0.1; done
  kill $waiter 2>/dev/null || true
  wait_quiet
  "${T[@]}" pipe-pane -t rec:
fi
sleep 0.2
if grep -q $'\e\[5n' "$bin"; then
  echo "recording contains ESC [ 5 n (the oracle's sync query); not usable" >&2
  exit 1
fi
cp "$bin" "$out_dir/$name.bin"
cp "$sidecar" "$out_dir/$name.case"
echo "$name: $(size_of) bytes -> $out_dir/$name.bin"
