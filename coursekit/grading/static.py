"""What the grader can say about a submission before running it: read as JSON, parsed, never run.

`prepare` turns an uploaded file into a clean notebook (code and markdown cells, tags; no outputs)
and one-line problems: syntax errors, graded functions missing or with changed signatures.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from coursekit import notebook

MAX_NOTEBOOK_BYTES = 50 << 20  # larger files are not graded (outputs with images are stripped first)

Signature = tuple[str, list[str]]  # (shown form, parameter names)


def signatures(tree: ast.Module) -> dict[str, Signature]:
    """Top-level functions (and classes, by __init__) with their parameter names."""
    found = {}
    for node in tree.body:
        function = node
        if isinstance(node, ast.ClassDef):
            inits = [n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"]
            if not inits:
                continue
            function = inits[0]
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = function.args
            names = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs]
            names += [f"*{a.vararg.arg}"] if a.vararg else []
            names += [f"**{a.kwarg.arg}"] if a.kwarg else []
            shown = [n for n in names if n != "self"]
            found[node.name] = (f"{node.name}({', '.join(shown)})", names)
    return found


def imports(tree: ast.Module) -> set[str]:
    """Absolute module names a cell imports: the fork server imports them once, before any submission."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def bound(tree: ast.Module) -> set[str]:
    """Every name a cell binds anywhere (defs, classes, assignments, imports): enough to say one is missing."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    return names


@dataclass
class Prepared:
    """A submission read and checked by the parent, before anything runs."""

    text: str | None = None  # a clean notebook (code and markdown cells, tags; no outputs) or None: not gradable
    cells: int = 0
    sha256: str = "none"
    fatal: str | None = None  # why nothing can be graded
    problems: list[str] = field(default_factory=list)


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes: what makes two submissions the same attempt."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def prepare(path: Path | None, graded: set[str], expected: dict[str, Signature], source: str = "") -> Prepared:
    """Read a submission as JSON and find what can be said before running it."""
    if path is None:
        found = f" (found: {source})" if source else ""
        return Prepared(fatal=f"no notebook submitted{found}: hand in the .ipynb file")
    try:
        size, digest = path.stat().st_size, file_digest(path)
    except OSError:
        return Prepared(fatal=f"{path.name}: the file cannot be read")
    if size == 0:
        return Prepared(sha256=digest, fatal=f"{path.name} is empty (0 bytes): upload the notebook again")
    if size > MAX_NOTEBOOK_BYTES:
        return Prepared(sha256=digest, fatal=f"{path.name} is {size >> 20} MB, over the {MAX_NOTEBOOK_BYTES >> 20} "
                                             "MB limit: clear the outputs and save again")
    raw = path.read_bytes()
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        if path.suffix != ".ipynb":
            return Prepared(sha256=digest, fatal=f"{path.name} is not a notebook: hand in the .ipynb file")
        return Prepared(sha256=digest, fatal=f"{path.name} is not valid notebook JSON{where}: it may be cut "
                                             "short or corrupt; re-save it from Jupyter and upload again")
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list):
        return Prepared(sha256=digest, fatal=f"{path.name} is JSON but not a Jupyter notebook (format 4) "
                                             "with cells: re-save it from Jupyter")
    clean, problems, trees = [], [], []
    for index, cell in enumerate(cells):
        kind = cell.get("cell_type") if isinstance(cell, dict) else None
        text = cell.get("source", "") if isinstance(cell, dict) else ""
        text = "".join(text) if isinstance(text, list) and all(isinstance(t, str) for t in text) else text
        if not isinstance(text, str):
            problems.append(f"cell {index} has no readable source; it was left out")
            text, kind = "", "raw"
        tags = (cell.get("metadata") or {}).get("tags", []) if isinstance(cell, dict) else []
        tags = [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []
        kind = kind if kind in ("code", "markdown") else "raw"
        clean.append({"cell_type": kind, "metadata": {"tags": tags} if tags else {}, "source": text}
                     | ({"outputs": [], "execution_count": None} if kind == "code" else {}))
        if kind == "code" and not set(tags) & notebook.SKIPPED_WHEN_GRADING:
            tree, error = _syntax(text)
            if error:
                problems.append(f"cell {index}, {error}; the rest of the notebook was still run")
            trees.append((tree, text))
    sources = "\n".join(text for _, text in trees)
    unseen = [n for n in sorted(graded)
              if not re.search(rf"\b(def|class)\s+{re.escape(n)}\b", sources)]
    names = set().union(*(bound(t) for t, _ in trees if t is not None)) if unseen else set()
    problems += [f"`{name}` is not defined anywhere in the notebook: keep the name from the release"
                 for name in unseen if name not in names]
    problems += _signature_problems([t for t, _ in trees if t is not None], expected)
    text = json.dumps({"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": clean})
    return Prepared(text=text, cells=len(clean), sha256=digest, problems=problems)


def parse(source: str) -> ast.Module | None:
    """The cell's syntax tree, or None when it has none."""
    return _syntax(source)[0]


def _syntax(source: str) -> tuple[ast.Module | None, str | None]:
    """The cell's syntax tree, or why it has none; IPython syntax (magics, !cmd) is translated first."""
    try:
        return ast.parse(source), None
    except SyntaxError:
        pass
    except (ValueError, RecursionError, MemoryError):
        return None, "cannot be parsed"
    try:
        return ast.parse(notebook.python_source(source)), None
    except SyntaxError as exc:
        return None, f"line {exc.lineno}: syntax error ({exc.msg})"
    except (ValueError, RecursionError, MemoryError):
        return None, "cannot be parsed"


def _signature_problems(trees: list[ast.Module], expected: dict[str, Signature]) -> list[str]:
    found: dict[str, Signature] = {}
    for tree in trees:
        found.update(signatures(tree))
    problems = []
    for name, (shown, params) in expected.items():
        if name in found and found[name][1] != params:
            problems.append(f"`{found[name][0]}` does not match the release's `{shown}`: keep the given "
                            "parameters, or the checks cannot call it")
    return problems
