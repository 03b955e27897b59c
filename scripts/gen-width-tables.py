#!/usr/bin/env python3
"""Measures the width every tmux release gives every code point, and writes the Rust tables.

    scripts/gen-width-tables.py [--release NAME=TMUX ...] [--force] [--check]

For each release (default: the static builds in ../shared/tmux/ and the system tmux if it is
3.3a) a private server (`tmux -L <unique> -f /dev/null`) is started, and every code point
U+0080..U+10FFFF except the surrogates is printed into panes of 64x2000 cells, 16 per row, each
in a slot of four cells that was filled with dots first:

    ESC [ <slot column> G   'a'   <code point>

`capture-pane -p` then shows, per slot, 'a', the code point's text if tmux kept it (in the 'a'
cell when it combined, width 0), and 3 - width dots. So the width is read from the grid itself,
as an emulator must reproduce it: 0, 1, 2, or "dropped" (tmux discarded the character). A pane
runs `stty raw -echo; cat FILE`, then asks for a DSR and waits for tmux's answer, so every byte
was parsed before the capture.

U+200D (ZWJ) and U+FE0F (VS16) are not measured this way: tmux treats them specially when they
follow a character (see docs/tmux-releases.md), which the slot layout would mistake for widths.
The table gives them glibc's width (0); the release cases in crates/term/tests/releases/ cover
what tmux does with them.

The locale: tmux sets LC_CTYPE to en_US.UTF-8, else C.UTF-8 (tmux.c), whatever the environment
says; on this machine only C.UTF-8 exists. The script also calls this machine's glibc wcwidth()
under C.UTF-8 (through ctypes) and checks that each release's measured table equals the
release's rules in tmux's code (utf8.c: utf8_width and its tables) applied to glibc's answer:
that proves which differences between releases come from tmux's code and which from glibc.

Measurements are cached in target/width-measure/<release>.bin (one byte per code point; 4 =
not measured); --force measures again. --check measures nothing and fails if the generated
file would change.

Writes crates/term/src/width_tables/generated.rs.
"""

import argparse
import ctypes
import ctypes.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "tmux")
CACHE = os.path.join(ROOT, "target", "width-measure")
OUT = os.path.join(ROOT, "crates", "term", "src", "width_tables", "generated.rs")

COLS, ROWS, SLOT = 64, 2000, 4
PER_ROW = COLS // SLOT
DROPPED, UNMEASURED = 3, 4
SPECIAL = (0x200D, 0xFE0F)

# Releases in order; the name is what `tmux -V` prints after "tmux ".
RELEASES = ["3.2a", "3.3a", "3.4", "3.5a", "3.6a", "3.7c", "next-3.8"]

# The pane waits for the file $3 (the test makes it once the pane has its size: tmux 3.2a
# ignores new-session -x/-y for a session without clients), prints, then syncs on a DSR.
RUNNER = r"""#!/bin/bash
stty raw -echo
while [[ ! -e "$3" ]]; do sleep 0.01; done
cat "$1"
printf '\033[5n'
while IFS= read -r -d n x; do [[ "$x" == *$'\e[0' ]] && break; done
: > "$2"
exec sleep 600
"""


def default_binaries():
    out = {}
    for r in RELEASES:
        p = os.path.join(SHARED, "tmux-" + r)
        if os.access(p, os.X_OK):
            out[r] = p
    try:
        v = subprocess.run(["tmux", "-V"], capture_output=True, text=True).stdout.split()
        if len(v) == 2 and v[1] in RELEASES and v[1] not in out:
            out[v[1]] = subprocess.run(
                ["sh", "-c", "command -v tmux"], capture_output=True, text=True
            ).stdout.strip()
    except OSError:
        pass
    return out


def code_points():
    return [cp for cp in range(0x80, 0x110000) if not (0xD800 <= cp <= 0xDFFF) and cp not in SPECIAL]


class Server:
    def __init__(self, binary):
        self.binary = binary
        self.name = "muxlink-widths-%d-%d" % (os.getpid(), int(time.time() * 1000) % 100000)
        self.env = dict(os.environ, LC_ALL="C.UTF-8")
        self.env.pop("TMUX", None)
        self.tmux("start-server", ";", "set", "-g", "exit-empty", "off", ";",
                  "set", "-g", "status", "off", ";", "set", "-g", "history-limit", "0")
        self.socket = self.tmux("display", "-p", "#{socket_path}").decode().strip()

    def tmux(self, *args):
        r = subprocess.run([self.binary, "-L", self.name, "-f", "/dev/null", *args],
                           capture_output=True, env=self.env, stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            raise RuntimeError("tmux %s: %s" % (" ".join(args[:3]), r.stderr.decode(errors="replace")))
        return r.stdout

    def close(self):
        subprocess.run([self.binary, "-L", self.name, "kill-server"], capture_output=True,
                       env=self.env)
        if self.socket:
            try:
                os.unlink(self.socket)
            except OSError:
                pass


def screen_bytes(cps):
    out = bytearray(b"\x1b[H\x1b[2J")
    rows = [cps[i:i + PER_ROW] for i in range(0, len(cps), PER_ROW)]
    for n, row in enumerate(rows):
        if n:
            out += b"\r\n"
        out += b"." * COLS + b"\r"
        for k, cp in enumerate(row):
            out += b"\x1b[%dGa" % (k * SLOT + 1) + chr(cp).encode()
    return bytes(out), len(rows)


def parse_row(line, row_cps, result):
    """Reads one captured row back into widths."""
    text = line.decode("utf-8", errors="surrogateescape")
    slots = text.split("a")
    if slots[0] != "" or len(slots) - 1 < len(row_cps):
        raise RuntimeError("unexpected row %r" % text)
    for k, (cp, s) in enumerate(zip(row_cps, slots[1:])):
        body = s.rstrip(".")
        dots = len(s) - len(body)
        if k == len(row_cps) - 1:
            # The dots of the unused slots of a short last row follow the last one.
            dots -= (PER_ROW - len(row_cps)) * SLOT
        if body == "":
            if dots != SLOT - 1:
                raise RuntimeError("U+%04X: no text but %d dots in %r" % (cp, dots, text))
            result[cp] = DROPPED
        elif body == chr(cp):
            width = SLOT - 1 - dots
            if width not in (0, 1, 2):
                raise RuntimeError("U+%04X: width %d in %r" % (cp, width, text))
            result[cp] = width
        else:
            raise RuntimeError("U+%04X: slot %r in %r" % (cp, s, text))


def measure(release, binary):
    result = bytearray([UNMEASURED]) * 0x110000
    cps = code_points()
    per_screen = PER_ROW * ROWS
    srv = Server(binary)
    tmp = tempfile.mkdtemp(prefix="muxlink-widths-")
    runner = os.path.join(tmp, "runner.sh")
    with open(runner, "w") as f:
        f.write(RUNNER)
    os.chmod(runner, 0o755)
    try:
        for s, start in enumerate(range(0, len(cps), per_screen)):
            chunk = cps[start:start + per_screen]
            data, nrows = screen_bytes(chunk)
            seg = os.path.join(tmp, "seg%d" % s)
            done = os.path.join(tmp, "done%d" % s)
            with open(seg, "wb") as f:
                f.write(data)
            name = "w%d" % s
            go = os.path.join(tmp, "go%d" % s)
            srv.tmux("new-session", "-d", "-s", name, "-x", str(COLS), "-y", str(ROWS),
                     runner, seg, done, go)
            srv.tmux("resize-window", "-t", name + ":", "-x", str(COLS), "-y", str(ROWS))
            size = srv.tmux("display", "-p", "-t", name + ":", "#{pane_width}x#{pane_height}")
            if size.strip() != b"%dx%d" % (COLS, ROWS):
                raise RuntimeError("%s: pane is %r" % (release, size))
            open(go, "w").close()
            deadline = time.time() + 300
            while not os.path.exists(done):
                if time.time() > deadline:
                    raise RuntimeError("%s: screen %d not consumed" % (release, s))
                time.sleep(0.02)
            out = srv.tmux("capture-pane", "-p", "-t", name + ":", "-S", "0", "-E", str(nrows - 1))
            lines = out.split(b"\n")
            for r in range(nrows):
                parse_row(lines[r], chunk[r * PER_ROW:(r + 1) * PER_ROW], result)
            srv.tmux("kill-session", "-t", name)
            for f in (seg, done, go):
                os.unlink(f)
            sys.stderr.write("\r%s: %d/%d" % (release, start + len(chunk), len(cps)))
        sys.stderr.write("\n")
    finally:
        srv.close()
        shutil.rmtree(tmp, ignore_errors=True)
    version = subprocess.run([binary, "-V"], capture_output=True, text=True).stdout.strip()
    return result, version


def glibc_widths():
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.setlocale.restype = ctypes.c_char_p
    if libc.setlocale(6, b"C.UTF-8") is None:  # LC_ALL
        raise RuntimeError("no C.UTF-8 locale")
    libc.wcwidth.argtypes = [ctypes.c_uint32]
    libc.wcwidth.restype = ctypes.c_int
    libc.gnu_get_libc_version.restype = ctypes.c_char_p
    w = bytearray(0x110000)
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            w[cp] = UNMEASURED
            continue
        v = libc.wcwidth(cp)
        w[cp] = DROPPED if v < 0 else v
    return w, libc.gnu_get_libc_version().decode()


# tmux's own width tables, as its utf8.c has them (facts, re-typed as ranges).
# 3.4 and 3.5a: utf8_force_wide[] (width 2 whatever wcwidth says).
FORCE_WIDE_34 = (
    [0x261D, 0x26F9] + list(range(0x270A, 0x270E)) + list(range(0x1F1E6, 0x1F200))
    + [0x1F385, 0x1F3C2, 0x1F3C3, 0x1F3C4, 0x1F3C7, 0x1F3CA, 0x1F3CB, 0x1F3CC]
    + list(range(0x1F3FB, 0x1F400)) + [0x1F442, 0x1F443] + list(range(0x1F446, 0x1F451))
    + list(range(0x1F466, 0x1F46A)) + list(range(0x1F46B, 0x1F46F)) + list(range(0x1F470, 0x1F479))
    + [0x1F47C, 0x1F481, 0x1F482, 0x1F483, 0x1F485, 0x1F486, 0x1F487, 0x1F48F, 0x1F491, 0x1F4AA,
       0x1F574, 0x1F575, 0x1F57A, 0x1F590, 0x1F595, 0x1F596, 0x1F645, 0x1F646, 0x1F647]
    + list(range(0x1F64B, 0x1F650)) + [0x1F6A3, 0x1F6B4, 0x1F6B5, 0x1F6B6, 0x1F6C0, 0x1F6CC,
                                       0x1F90C, 0x1F90F] + list(range(0x1F918, 0x1F920))
    + [0x1F926] + list(range(0x1F930, 0x1F93A)) + [0x1F93D, 0x1F93E, 0x1F977, 0x1F9B5, 0x1F9B6,
                                                  0x1F9B8, 0x1F9B9, 0x1F9BB, 0x1F9CD, 0x1F9CE,
                                                  0x1F9CF] + list(range(0x1F9D1, 0x1F9DE))
    + [0x1FAC3, 0x1FAC4, 0x1FAC5] + list(range(0x1FAF0, 0x1FAF9))
)
# 3.6 and later: utf8_default_width_cache[]: the same code points, but the regional indicators
# U+1F1E6..U+1F1FF are width 1 (they combine in pairs instead).
HANGUL_FILLER = 0x3164


def model(release, glibc):
    """tmux's width of each code point per its code, from glibc's wcwidth()."""
    w = bytearray(glibc)
    idx = RELEASES.index(release)
    for cp in range(0x80, 0x110000):
        if glibc[cp] == UNMEASURED:
            continue
        if glibc[cp] == DROPPED:
            if idx == 0:          # 3.2a: utf8_width: wcwidth() < 0 is width 1 (not OpenBSD)
                w[cp] = 1
            elif idx == 1:        # 3.3a: an error: the character is dropped
                w[cp] = DROPPED
            else:                 # 3.4+: C1 controls 0, everything else 1
                w[cp] = 0 if cp <= 0x9F else 1
    if idx >= 2:
        for cp in FORCE_WIDE_34:
            w[cp] = 1 if (idx >= 4 and 0x1F1E6 <= cp <= 0x1F1FF) else 2
    if idx >= 4:
        w[HANGUL_FILLER] = DROPPED  # screen_write_combine ignores U+3164 entirely
    return w


def ranges(table):
    """(first, last, value) runs of code points whose value is not 1, unmeasured counted as 1."""
    out = []
    cur = None
    for cp in range(0x80, 0x110000):
        v = table[cp]
        if v == UNMEASURED:
            v = 1
        if v == 1:
            if cur:
                out.append(tuple(cur))
                cur = None
            continue
        if cur and cur[2] == v and cur[1] == cp - 1:
            cur[1] = cp
        else:
            if cur:
                out.append(tuple(cur))
            cur = [cp, cp, v]
    if cur:
        out.append(tuple(cur))
    return out


def two_level(table):
    """Pages of 256 code points -> blocks of 64 bytes (2 bits a code point: 0, 1, 2, 3=dropped)."""
    blocks = []
    index = {}
    pages = []
    for page in range(0x1100):
        b = bytearray(64)
        for i in range(256):
            v = table[page * 256 + i]
            if v == UNMEASURED:
                v = 1
            b[i >> 2] |= v << ((i & 3) * 2)
        key = bytes(b)
        if key not in index:
            index[key] = len(blocks)
            blocks.append(key)
        pages.append(index[key])
    return pages, blocks


def fill_specials(table, glibc):
    for cp in SPECIAL:
        table[cp] = glibc[cp]
    # Surrogates never reach a width lookup (tmux's UTF-8 decoder rejects them); the tables
    # call them unprintable, as glibc does.
    for cp in range(0xD800, 0xE000):
        table[cp] = DROPPED
    for cp in range(0x80):
        table[cp] = 1 if cp >= 0x20 else table[cp]


def emit(tables, versions, glibc_version):
    # Distinct tables, in release order.
    distinct = []
    which = {}
    for r in RELEASES:
        if r not in tables:
            continue
        t = bytes(tables[r])
        for i, (d, _) in enumerate(distinct):
            if d == t:
                which[r] = i
                break
        else:
            which[r] = len(distinct)
            distinct.append((t, r))
    lines = []
    p = lines.append
    p("// @generated by scripts/gen-width-tables.py: do not edit by hand.")
    p("//")
    p("// Widths measured from the grid of each tmux release on this machine: glibc %s," % glibc_version)
    p("// locale C.UTF-8 (tmux picks en_US.UTF-8, else C.UTF-8, whatever the environment says).")
    for r in RELEASES:
        if r in versions:
            p("// %-9s `%s` (%s)" % (r, versions[r][0], versions[r][1]))
    p("// Each table equals the release's rules in tmux's utf8.c applied to glibc's wcwidth().")
    p("")
    p("use super::WidthTable;")
    p("")
    for i, (t, first) in enumerate(distinct):
        users = [r for r in RELEASES if which.get(r) == i]
        rs = ranges(t)
        pages, blocks = two_level(t)
        name = "T%d" % i
        p("/// Widths of tmux %s (%d ranges not of width 1)." % (", ".join(users), len(rs)))
        p("pub(super) static %s: WidthTable = WidthTable {" % name)
        p("    releases: &[%s]," % ", ".join('"%s"' % u for u in users))
        p("    pages: &%s_PAGES," % name)
        p("    blocks: &%s_BLOCKS," % name)
        p("    ranges: %s_RANGES," % name)
        # U+110000..U+13FFFF (glibc decodes them, wcwidth() says -1): like any unprintable.
        p("    above_unicode: %d," % (255 if t[0x378] == DROPPED else 1))
        p("};")
        p("")
        p("static %s_PAGES: [u8; 0x1100] = [" % name)
        for k in range(0, len(pages), 32):
            p("    " + ", ".join(str(x) for x in pages[k:k + 32]) + ",")
        p("];")
        p("")
        p("static %s_BLOCKS: [[u8; 64]; %d] = [" % (name, len(blocks)))
        for b in blocks:
            p("    [")
            for k in range(0, 64, 16):
                p("        " + ", ".join("0x%02x" % x for x in b[k:k + 16]) + ",")
            p("    ],")
        p("];")
        p("")
        p("static %s_RANGES: &[(u32, u32, u8)] = &[" % name)
        for lo, hi, v in rs:
            p("    (0x%04X, 0x%04X, %d)," % (lo, hi, 255 if v == DROPPED else v))
        p("];")
        p("")
    p("/// The table of each release, in `TmuxRelease` order (3.2a .. next-3.8).")
    p("pub(super) static BY_RELEASE: [&WidthTable; %d] = [%s];" % (
        len(RELEASES), ", ".join("&T%d" % which[r] for r in RELEASES)))
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--release", action="append", default=[], help="NAME=TMUX (e.g. 3.4=/path/tmux)")
    ap.add_argument("--force", action="store_true", help="measure again even when cached")
    ap.add_argument("--check", action="store_true", help="fail if the generated file is stale")
    a = ap.parse_args()
    binaries = default_binaries()
    for spec in a.release:
        name, path = spec.split("=", 1)
        binaries[name] = path
    os.makedirs(CACHE, exist_ok=True)
    glibc, glibc_version = glibc_widths()
    tables, versions = {}, {}
    for r in RELEASES:
        cache = os.path.join(CACHE, r + ".bin")
        meta = cache + ".version"
        if os.path.exists(cache) and not a.force:
            with open(cache, "rb") as f:
                tables[r] = bytearray(f.read())
            with open(meta) as f:
                versions[r] = tuple(f.read().split("\t", 1))
            continue
        if a.check:
            continue
        if r not in binaries:
            sys.exit("no tmux binary for %s (give --release %s=PATH)" % (r, r))
        t0 = time.time()
        t, v = measure(r, binaries[r])
        where = binaries[r]
        where = ("shared/tmux/" + os.path.basename(where)) if where.startswith(SHARED) else where
        sys.stderr.write("%s: measured in %.0f s\n" % (r, time.time() - t0))
        with open(cache, "wb") as f:
            f.write(t)
        with open(meta, "w") as f:
            f.write("%s\t%s" % (v, where))
        tables[r] = t
        versions[r] = (v, where)
    missing = [r for r in RELEASES if r not in tables]
    if missing:
        sys.exit("not measured: %s" % ", ".join(missing))
    # The model check: measured == code rules over glibc, for every measured code point.
    bad = 0
    for r in RELEASES:
        m = model(r, glibc)
        t = tables[r]
        diff = [cp for cp in range(0x80, 0x110000) if t[cp] != UNMEASURED and t[cp] != m[cp]]
        for cp in diff[:20]:
            sys.stderr.write("%s: U+%04X measured %d, model %d (glibc %d)\n" % (r, cp, t[cp], m[cp], glibc[cp]))
        bad += len(diff)
        fill_specials(t, glibc)
    if bad:
        sys.exit("%d code points differ from the model of tmux's code" % bad)
    # Differences between consecutive releases.
    for a_, b_ in zip(RELEASES, RELEASES[1:]):
        n = sum(1 for cp in range(0x80, 0x110000) if tables[a_][cp] != tables[b_][cp])
        sys.stderr.write("%s -> %s: %d code points differ\n" % (a_, b_, n))
    text = emit(tables, versions, glibc_version)
    if a.check:
        with open(OUT) as f:
            if f.read() != text:
                sys.exit("%s is stale" % OUT)
        return
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write(text)
    sys.stderr.write("wrote %s\n" % OUT)


if __name__ == "__main__":
    main()
