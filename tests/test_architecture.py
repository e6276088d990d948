"""The shape of the backend package: no import cycles, one table of ops, handlers that take the
session rather than the server."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from support.backends import REPO
from vaestudio.ops import OPS
from vaestudio.session import Session

PACKAGE = REPO / "backend" / "vaestudio"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """module -> the vaestudio modules it imports, anywhere in the file (inside functions and
    `if TYPE_CHECKING:` blocks too: a late import hides a cycle, it does not remove it)."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges: set[str] = set()
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                edges |= {a.name for a in node.names if a.name in modules}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    edges.add(sub if sub in modules else base)
        graph[name] = {e for e in edges if e in modules and e != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_backend_import_graph_has_no_cycles():
    graph = import_graph()
    assert len(graph) > 30 and "vaestudio.server" in graph["vaestudio.cli"]  # late imports are seen
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_every_handler_takes_the_session_not_the_server():
    for name, op in OPS.items():
        params = list(inspect.signature(op.handler).parameters)
        assert params[:2] == ["session", "args"], name
        assert len(params) == (3 if op.deferred else 2), name
        assert op.handler.__annotations__["session"] in (Session, "Session"), name
    graph = import_graph()
    for module in ("vaestudio.ops", "vaestudio.ops_training", "vaestudio.ops_inference", "vaestudio.ops_runs"):
        assert "vaestudio.server" not in graph[module], module
