"""The layout keeps its promises (DESIGN.md §2): thin notebooks committed without outputs, no
import of a package module hidden inside a function, every chapter notebook wired to its module.
(The layer and no-cycle contracts are checked by import-linter in ``make test``.)"""

import ast
import json
import re
from pathlib import Path

import pytest

from returns_kit import chapters
from returns_kit.chapters.context import UNREAD_ORDER_COLUMNS
from returns_kit.model import LINEAGE

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("0[0-8]_*.ipynb"))
PACKAGE = REPO / "returns_kit"

#: what a chapter notebook's code may call: display helpers, charts, its chapter object
ALLOWED_ROOTS = {"rk.display", "rk.plots", "rk.chapters"}


def _code_cells(path: Path) -> list[dict]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def test_summary_and_eight_chapter_notebooks_one_module_each():
    assert [p.stem[:2] for p in NOTEBOOKS] == [f"0{i}" for i in range(0, 9)]
    for path, module in zip(NOTEBOOKS, chapters.CHAPTERS):
        source = "".join("".join(c["source"]) for c in _code_cells(path))
        assert f"rk.chapters.{module}.build(ctx)" in source, path.name
        assert "rk.chapters.setup(" in source and source.rstrip().endswith(
            "ch.emit()  # this chapter's metrics.json section, from the same object"), path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_are_committed_without_outputs(path):
    for cell in _code_cells(path):
        assert cell["outputs"] == [] and cell["execution_count"] is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_compute_nothing(path):
    """Code cells only display what the chapter object holds: no arithmetic, no call into the
    analysis modules, no imports beyond the kit itself."""
    for cell in _code_cells(path):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            continue
        tree = ast.parse("".join(cell["source"]))
        inner = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        for node in ast.walk(tree):
            assert not isinstance(node, (ast.BinOp, ast.AugAssign)), (path.name, ast.unparse(node))
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                assert [a.name for a in node.names] == ["returns_kit"], (path.name, ast.unparse(node))
            if isinstance(node, ast.Attribute) and id(node) not in inner:
                name = _dotted(node)
                if name.startswith("rk."):
                    assert any(name == r or name.startswith(r + ".") for r in ALLOWED_ROOTS), (path.name, name)


def test_no_package_import_inside_a_function():
    """A cycle is fixed by moving the shared thing down a layer, never by a late import."""
    late = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("returns_kit")):
                    late.append(f"{path.relative_to(REPO)}:{node.lineno}")
                if isinstance(node, ast.Import) and any(a.name.startswith("returns_kit") for a in node.names):
                    late.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert late == []


def test_no_analysis_module_names_an_order_column_the_context_leaves_on_disk():
    """A chapter reading one of ``UNREAD_ORDER_COLUMNS`` would find it missing in every report:
    the loaders (io, the column model, the sample), the display labels and the context that
    lists them are the only modules that may name them.  (The lineage columns, which every table
    has, are left to the test that builds every chapter both ways, in test_store.py.)"""
    allowed = {PACKAGE / "model.py", PACKAGE / "display.py", PACKAGE / "chapters" / "context.py"}
    named = re.compile(r"""["'](%s)["']""" % "|".join(sorted(UNREAD_ORDER_COLUMNS - set(LINEAGE))))
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path in allowed or {"io", "sample"} & set(path.relative_to(PACKAGE).parts):
            continue
        found += [f"{path.relative_to(REPO)}: {m.group(1)}" for m in named.finditer(path.read_text(encoding="utf-8"))]
    found += [f"{nb.name}: {m.group(1)}" for nb in NOTEBOOKS for cell in _code_cells(nb)
              for m in named.finditer("".join(cell["source"]))]
    assert found == []
