#!/usr/bin/env python3
"""Prints a crate's module dependency graph and fails on a cycle.

An edge A -> B is any reference from a file of module A to `crate::B` (in `use` items or
paths in code; doc comments and string literals are skipped), and `super::X` from a child
file resolved to its parent. Submodule files (`core/notify.rs`) are folded into their
top-level module (`core`). Usage: scripts/module-graph.py crates/runtime/src
"""
import os
import re
import sys


def strip(text):
    out = []
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("//"):
            continue
        # Drop string literals and trailing comments (good enough for this codebase).
        line = re.sub(r'b?"(\\.|[^"\\])*"', '""', line)
        line = line.split("//")[0]
        out.append(line)
    return "\n".join(out)


def module_of(root, path):
    rel = os.path.relpath(path, root)
    top = rel.split(os.sep)[0]
    return top[:-3] if top.endswith(".rs") else top


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "crates/runtime/src"
    mods = set()
    files = []
    for dirpath, _, names in os.walk(root):
        for n in names:
            if n.endswith(".rs"):
                p = os.path.join(dirpath, n)
                files.append(p)
                m = module_of(root, p)
                if m not in ("lib", "main"):
                    mods.add(m)
    edges = {m: set() for m in mods}
    for p in files:
        a = module_of(root, p)
        if a in ("lib", "main"):
            continue
        text = strip(open(p).read())
        # Groups such as `use crate::{a::X, b::Y}` name several modules.
        for grp in re.findall(r"crate::\{([^}]*)\}", text):
            for part in grp.split(","):
                b = part.strip().split("::")[0]
                if b in mods and b != a:
                    edges[a].add(b)
        for b in re.findall(r"crate::([a-z_]+)", text):
            if b in mods and b != a:
                edges[a].add(b)
    for m in sorted(edges):
        print(f"{m:10} -> {', '.join(sorted(edges[m])) or '(leaf)'}")
    # Cycle check (DFS).
    state = {}
    stack = []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for n in sorted(edges[m]):
            if state.get(n) == 1:
                cyc = stack[stack.index(n):] + [n]
                print("cycle: " + " -> ".join(cyc))
                return True
            if state.get(n) is None and visit(n):
                return True
        stack.pop()
        state[m] = 2
        return False

    for m in sorted(edges):
        if state.get(m) is None and visit(m):
            sys.exit(1)
    print("no cycle")


if __name__ == "__main__":
    main()
