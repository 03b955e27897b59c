#!/bin/bash
# Re-records every real-program case of the conformance corpus (crates/term/tests/corpus/)
# with scripts/record-program.sh. Recordings depend on the programs installed here (vim, less,
# man, top, python3, ls) and on timing (top), so re-recording changes the bytes; the suite
# then compares muxlink and tmux on the new bytes. Run from anywhere; takes about a minute.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rec=$here/record-program.sh
src=$(cd "$here/.." && pwd)/crates/term/tests/conformance
# Files the programs show: copies, so the recorded paths do not depend on the checkout.
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
cp "$src/gen.rs" "$data/gen.rs"
cp "$src/sgr.rs" "$data/sgr.rs"

# Output longer than the history limit.
"$rec" seq-over-history 80x24 2000 'seq 1 5000'
"$rec" seq-small-history 30x8 100 'seq -f "line %g of many lines that wrap" 1 700'

# vim: syntax colours, splits, scrolling; one left running, one quit (restores the screen).
vim="vim -u NONE -N -i NONE -c 'syntax on' -c 'set number ruler laststatus=2 hlsearch'"
"$rec" vim-splits 100x30 2000 "$vim $data/gen.rs" \
  text::vsplit keys:Enter 'keys:C-w l' text:60j keys:C-d text::split keys:Enter \
  text:/fn\ generate keys:Enter text:zz stop
"$rec" vim-quit 80x24 2000 "$vim $data/sgr.rs" \
  keys:C-f keys:C-f text::vsplit keys:Enter text:40j text::qa! keys:Enter
"$rec" vim-resize 80x24 2000 "$vim $data/sgr.rs" \
  text:30j text::vsplit keys:Enter resize:100x30 resize:50x15 text:10j resize:81x25 stop

# less and a man page (bold and underline from groff).
"$rec" less-file 80x24 2000 "less $data/sgr.rs" \
  keys:Space keys:Space keys:b text:/Colour keys:Enter keys:n keys:G stop
"$rec" man-ls 80x24 2000 "MANWIDTH=80 man ls" \
  keys:Space keys:Space text:/sort keys:Enter stop

# top: interactive, two refreshes, left running; and one quit.
"$rec" top-running 120x40 2000 "top -d 1" sleep:2.2 stop
"$rec" top-quit 80x24 2000 "top -d 1" sleep:1.2 keys:q

# A python REPL (readline, bracketed paste, colours printed by the program).
"$rec" python-repl 60x15 50 "/usr/bin/python3 -q" \
  'text:import sys, os' keys:Enter \
  "text:for i in range(40): print(i, 'x' * i, '\\x1b[3%dmcolour\\x1b[0m' % (i % 8))" \
  keys:Enter keys:Enter "text:print('中文 wide é', sys.version_info[0])" keys:Enter \
  keys:C-d

# ls with colours.
"$rec" ls-color 80x24 2000 "ls --color=always -la /usr/lib /etc | head -300"

# A shell whose wrapped lines are reflowed by resizes.
"$rec" bash-reflow 40x10 2000 "bash --norc --noprofile" \
  "text:for i in 1 2 3; do seq -s ' ' 1 30; done" keys:Enter \
  "text:printf '\\e[44mblue %s\\e[0m\\n' \"\$(seq -s - 1 25)\"" keys:Enter \
  resize:20x10 resize:61x6 "text:echo \$(seq 100 160)" keys:Enter resize:33x12 \
  resize:7x3 resize:40x10 text:exit keys:Enter

# Coloured wrapped lines in the history, reflowed by resizes (normal screen).
"$rec" ls-color-reflow 60x15 100 "ls --color=always -la /usr/lib | head -80; sleep 0.5" \
  resize:40x15 resize:100x20 resize:25x10 resize:61x16

# Full-screen programs redrawing after resizes.
"$rec" less-resize 80x24 2000 "less $data/sgr.rs" \
  keys:Space resize:60x20 keys:Space resize:100x30 text:/Style keys:Enter resize:45x12 stop
"$rec" top-resize 100x30 2000 "top -d 1" sleep:1.2 resize:70x20 sleep:1.2 resize:120x40 \
  sleep:1.2 stop
