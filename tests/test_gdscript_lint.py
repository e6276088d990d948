"""gdtoolkit 4 over every GDScript file of the Godot project: gdlint, gdformat --check, and a
check for untyped declarations (the project turns on Godot's `untyped_declaration` warning, but
Godot only shows it in the editor, so it is checked here on gdtoolkit's parse tree)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GD_FILES = sorted(p for p in (REPO / "godot_client").rglob("*.gd") if ".godot" not in p.parts)

# Parse-tree nodes that declare something without a type (`var x = 1`, `var x`, `func f(a)`).
UNTYPED_NODES = {
    "class_var_assigned": "variable",
    "class_var_empty": "variable",
    "func_var_assigned": "variable",
    "func_var_empty": "variable",
    "func_arg_regular": "parameter",
}


def _tool(name: str) -> str:
    exe = BIN / name
    if not exe.exists():
        pytest.skip(f"{name} (gdtoolkit) is not installed next to {sys.executable}")
    return str(exe)


def _rel(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(REPO)) for p in paths]


def test_there_is_gdscript():
    assert GD_FILES, "no .gd files under godot_client/"


def test_gdlint_clean():
    proc = subprocess.run([_tool("gdlint"), *_rel(GD_FILES)], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_gdformat_clean():
    proc = subprocess.run(
        [_tool("gdformat"), "--check", *_rel(GD_FILES)], capture_output=True, text=True, cwd=REPO
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _untyped(tree) -> list[str]:
    from lark import Tree

    found = []
    for node in tree.iter_subtrees():
        line = getattr(node.meta, "line", "?")
        if node.data in UNTYPED_NODES:
            name = node.children[0]
            found.append(f"line {line}: untyped {UNTYPED_NODES[node.data]} '{name}'")
        elif node.data == "func_header":
            # name, func_args, then the return type when there is one.
            if len(node.children) < 3 or isinstance(node.children[2], Tree) and node.children[2].data == "func_args":
                found.append(f"line {line}: function '{node.children[0]}' has no return type")
    return found


@pytest.mark.parametrize("path", GD_FILES, ids=_rel(GD_FILES))
def test_no_untyped_declarations(path):
    parser = pytest.importorskip("gdtoolkit.parser").parser
    tree = parser.parse(path.read_text(), gather_metadata=True)
    problems = _untyped(tree)
    assert not problems, f"{path.relative_to(REPO)}:\n" + "\n".join(problems)
