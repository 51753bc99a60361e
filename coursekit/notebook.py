"""Notebook I/O and the authoring format: cell tags, solution regions, check calls."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from coursekit.errors import NotebookError
from coursekit.files import atomic_path

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
TRAIN, GPU_EXTRA, SOLUTION_ONLY = "train", "gpu-extra", "solution-only"
SKIPPED_WHEN_GRADING = frozenset({TRAIN, GPU_EXTRA})
CHECK_CALL = re.compile(r"""^\s*check\(\s*["']([\w.]+)["']""", re.MULTILINE)


def read(path: Path) -> NotebookNode:
    """Read and validate a notebook, with a one-line error naming the file."""
    if not path.is_file():
        raise NotebookError(f"{path}: notebook not found; check the path or course_config.py's notebooks")
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as exc:
        raise NotebookError(f"{path}: not a readable notebook ({type(exc).__name__}); re-save it from Jupyter") from exc
    if not isinstance(nb, dict) or "cells" not in nb:
        raise NotebookError(f"{path}: not a notebook (no cells); re-save it from Jupyter")
    return nb


def write(nb: NotebookNode, path: Path) -> None:
    with atomic_path(path) as tmp:
        nbformat.write(nb, str(tmp))


def tags(cell: NotebookNode) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def clear_outputs(nb: NotebookNode) -> NotebookNode:
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell.get("metadata", {}).pop("execution", None)
    return nb


def python_source(source: str) -> str:
    """Cell source with IPython syntax (magics, `!cmd`) turned into plain Python."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


@dataclass(frozen=True)
class Region:
    cell: int  # index in the notebook
    start: int  # line numbers in the cell, 1-based, of the BEGIN and END markers
    end: int
    text: str  # the lines between the markers


def solution_regions(nb: NotebookNode, path: Path) -> list[Region]:
    """Every solution region; malformed markers are a NotebookError naming the cell."""
    regions = []
    for index, cell in enumerate(nb.cells):
        start = None
        lines = cell.source.splitlines()
        for number, line in enumerate(lines, 1):
            if BEGIN in line:
                if start is not None:
                    raise NotebookError(
                        f"{path}: cell {index} line {number}: nested {BEGIN}; close the first region with {END}")
                start = number
            elif END in line:
                if start is None:
                    raise NotebookError(
                        f"{path}: cell {index} line {number}: {END} without {BEGIN}; add the opening marker")
                regions.append(Region(index, start, number, "\n".join(lines[start:number - 1])))
                start = None
        if start is not None:
            raise NotebookError(f"{path}: cell {index} line {start}: {BEGIN} is never closed; add {END}")
    return regions


def graded_names(nb: NotebookNode, path: Path) -> list[str]:
    """Top-level functions and classes whose body holds a solution region, in notebook order."""
    names = []
    regions = solution_regions(nb, path)
    for index in sorted({r.cell for r in regions}):
        cell_regions = [r for r in regions if r.cell == index]
        try:
            tree = ast.parse(python_source(nb.cells[index].source))
        except SyntaxError as exc:
            raise NotebookError(f"{path}: cell {index} line {exc.lineno}: syntax error ({exc.msg})") from exc
        for node in tree.body:
            is_definition = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            if is_definition and any(node.lineno < r.start <= node.end_lineno for r in cell_regions):
                names.append(node.name)
    return names


def check_calls(nb: NotebookNode) -> list[str]:
    """Names passed to `check("...")` calls in code cells, in order."""
    return [name for cell in nb.cells if cell.cell_type == "code" for name in CHECK_CALL.findall(cell.source)]


def code_cells(path: Path, skip_tags: frozenset[str] = SKIPPED_WHEN_GRADING) -> list[tuple[int, str]]:
    """(index, source) of the code cells that run when grading: untagged by `skip_tags`."""
    nb = read(path)
    return [(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "code" and not tags(c) & skip_tags]


def defined_names(source: str) -> list[str]:
    """Top-level functions and classes a cell defines ([] if it does not parse)."""
    try:
        tree = ast.parse(python_source(source))
    except (SyntaxError, ValueError):
        return []
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return [node.name for node in tree.body if isinstance(node, kinds)]


def definitions(path: Path, names: set[str]) -> dict[str, str]:
    """{name: source} of the top-level functions and classes in `names`, decorators included, in
    notebook order: the answer key's graded definitions, without the demo code around them."""
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    found = {}
    for _, source in code_cells(path):
        source = python_source(source)
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            continue
        lines = source.splitlines()
        for node in tree.body:
            if isinstance(node, kinds) and node.name in names:
                first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                found[node.name] = "\n".join(lines[first - 1:node.end_lineno]) + "\n"
    return found
