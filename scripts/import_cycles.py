"""Import cycles of python/liger: the graph of every import (module level and inside functions)
between liger's modules, built with ``ast``; prints each cycle (strongly connected component)
and exits 1 if there is one. ``from pkg import name`` counts as an edge to ``pkg.name`` when that
is a module, else to ``pkg``; importing ``a.b.c`` does not count its parent packages (their
``__init__`` files import nothing of the stages but ``liger/__init__.py``, the public API).
Usage: python scripts/import_cycles.py [python/liger]"""

from __future__ import annotations

import ast
import sys
from pathlib import Path


def modules(root: Path) -> dict[str, Path]:
    out = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def edges(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            targets = []
            for a in node.names:
                sub = f"{mod}.{a.name}"
                targets.append(sub if sub in known else mod)
        else:
            continue
        for t in targets:
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name:
                out.add(t)
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "python/liger")
    known = modules(root)
    known.setdefault("liger._core", root / "_core.pyi")  # the compiled core: imports nothing
    graph = {
        name: set() if name == "liger._core" else edges(name, path, known)
        for name, path in known.items()
    }
    found = cycles(graph)
    n_edges = sum(len(v) for v in graph.values())
    print(f"{len(known)} modules, {n_edges} import edges (module and function level)")
    for comp in found:
        print("cycle:", " <-> ".join(comp))
    if not found:
        print("no import cycles")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
