"""What the grader can say about a submission before running it: read as JSON, parsed, never run.

`prepare` turns an uploaded file into a clean notebook (code and markdown cells, tags; no outputs)
and one-line problems: syntax errors, graded functions missing or with changed signatures.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import json
import os
import re
import resource
import selectors
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

from coursekit import notebook
from coursekit.engine.execute import parse_json, plain_text

MAX_NOTEBOOK_BYTES = 50 << 20  # larger files are not graded (outputs with images are stripped first)
MAX_CELLS = 5000  # course notebooks have under 100
MAX_CELL_CHARS = 250_000  # course cells have under 3,000; ast.parse needs up to 700 bytes and 10 us per character
ANALYSIS_MEMORY_BYTES = 1 << 30  # beyond what the grader maps already
ANALYSIS_TIMEOUT_S = 20  # a course notebook takes 15 ms
OUT_OF_MEMORY = 3  # the analysing child's exit code
TOO_COMPLEX = "very long or deeply nested code?"

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
    """Read a submission as JSON and find what can be said before running it, within bounded work.

    Sizes bound reading, not parsing: 1 MB of pathological code costs ast.parse 700 MB and 10 s,
    50 MB of `[]` costs json several GB. So `analyse` runs in a forked child (about 30 ms; a fresh
    interpreter would cost seconds) under ANALYSIS_MEMORY_BYTES more address space and
    ANALYSIS_TIMEOUT_S, which bound any input; the per-cell cap keeps one huge cell from costing
    the rest of the analysis, and names the cell.
    """
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
    prepared = _in_child(lambda: analyse(path.read_bytes(), path.name, path.suffix, graded, expected), path.name)
    prepared.sha256 = digest
    return prepared


def analyse(raw: bytes, name: str, suffix: str, graded: set[str], expected: dict[str, Signature]) -> Prepared:
    """The clean notebook and the problems found in it, from the bytes of an untrusted upload."""
    try:
        data = parse_json(raw, MAX_NOTEBOOK_BYTES)
    except ValueError as exc:
        if suffix != ".ipynb":
            return Prepared(fatal=f"{name} is not a notebook: hand in the .ipynb file")
        return Prepared(fatal=f"{name} is not valid notebook JSON ({_json_problem(exc)}): it may be cut short or "
                              "corrupt; re-save it from Jupyter and upload again")
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list):
        return Prepared(fatal=f"{name} is JSON but not a Jupyter notebook (format 4) with cells: "
                              "re-save it from Jupyter")
    if len(cells) > MAX_CELLS:
        return Prepared(fatal=f"{name} has {len(cells)} cells, over the limit of {MAX_CELLS}: remove the extra cells")
    problems: list[str] = []
    clean = [_clean_cell(cell, index, problems) for index, cell in enumerate(cells)]
    code = [(index, cell["source"]) for index, cell in enumerate(clean) if cell["cell_type"] == "code"
            and not set(cell["metadata"].get("tags", [])) & notebook.SKIPPED_WHEN_GRADING]
    problems += _code_problems(code, graded, expected)
    text = json.dumps({"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": clean})
    return Prepared(text=text, cells=len(clean), problems=[plain_text(p) for p in problems])


def _json_problem(exc: ValueError) -> str:
    """Where or why an upload is not JSON, in a few words."""
    if isinstance(exc, json.JSONDecodeError):
        return f"line {exc.lineno}, column {exc.colno}"
    if isinstance(exc, UnicodeDecodeError):
        return "it is not UTF-8 text"
    return plain_text(str(exc).split(";")[0], 120)  # e.g. a number of 5,000 digits, over int()'s limit


def _clean_cell(cell: object, index: int, problems: list[str]) -> dict:
    """A cell as the sandbox gets it: only its type, string tags and source, each of a checked type."""
    cell = cell if isinstance(cell, dict) else {}
    metadata = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
    tags = metadata.get("tags")
    tags = [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []
    kind = cell.get("cell_type") if cell.get("cell_type") in ("code", "markdown") else "raw"
    text = cell.get("source", "")
    text = "".join(text) if isinstance(text, list) and all(isinstance(t, str) for t in text) else text
    if not isinstance(text, str):
        problems.append(f"cell {index} has no readable source; it was left out")
        text, kind = "", "raw"
    return ({"cell_type": kind, "metadata": {"tags": tags} if tags else {}, "source": text}
            | ({"outputs": [], "execution_count": None} if kind == "code" else {}))


def _code_problems(code: list[tuple[int, str]], graded: set[str], expected: dict[str, Signature]) -> list[str]:
    """Syntax errors, graded names never defined, changed signatures; one cell's tree at a time in memory."""
    sources = "\n".join(text for _, text in code)
    unseen = {n for n in graded if not re.search(rf"\b(def|class)\s+{re.escape(n)}\b", sources)}
    problems, found, names = [], {}, set()
    for index, text in code:
        if len(text) > MAX_CELL_CHARS:
            problems.append(f"cell {index} is too large to analyse ({len(text):,} characters > {MAX_CELL_CHARS:,}); "
                            "it was run without checking its syntax and signatures")
            continue
        tree, error = _syntax(text)
        if error:
            problems.append(f"cell {index}, {error}; the rest of the notebook was still run")
        if tree is not None:
            found.update(signatures(tree))
            names |= bound(tree) if unseen else set()
    problems += [f"`{name}` is not defined anywhere in the notebook: keep the name from the release"
                 for name in sorted(unseen - names)]
    return problems + _signature_problems(found, expected)


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
        where = f"line {exc.lineno}: " if exc.lineno else ""
        return None, f"{where}syntax error ({exc.msg})"
    except Exception:  # noqa: BLE001 - IPython's translation of untrusted text may fail in any way
        return None, "cannot be parsed"


def _signature_problems(found: dict[str, Signature], expected: dict[str, Signature]) -> list[str]:
    problems = []
    for name, (shown, params) in expected.items():
        if name in found and found[name][1] != params:
            problems.append(f"`{found[name][0]}` does not match the release's `{shown}`: keep the given "
                            "parameters, or the checks cannot call it")
    return problems


# --- bounded work: a forked child -------------------------------------------------------------

def _in_child(work: Callable[[], Prepared], name: str) -> Prepared:
    """`work()` in a forked child under the analysis limits; its failure is the submission's fatal problem."""
    _warm_parser()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _child(work, write_fd)
    os.close(write_fd)
    try:
        data = _read_all(read_fd, time.monotonic() + ANALYSIS_TIMEOUT_S)
    finally:
        os.close(read_fd)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    if data is None:
        return Prepared(fatal=f"{name} could not be analysed within {ANALYSIS_TIMEOUT_S} s ({TOO_COMPLEX}): "
                              "simplify it and upload again")
    if code == OUT_OF_MEMORY:
        return Prepared(fatal=f"{name} needs over {ANALYSIS_MEMORY_BYTES >> 20} MB of memory to analyse "
                              f"({TOO_COMPLEX}): simplify it and upload again")
    if code != 0:
        return Prepared(fatal=f"{name} could not be analysed (the grader failed on it): re-save it from Jupyter "
                              "and upload again")
    head, _, text = data.partition(b"\n")
    return Prepared(**json.loads(head), text=text.decode() or None)


def _child(work: Callable[[], Prepared], fd: int) -> NoReturn:
    """The analysing child: cap memory, run `work`, write its result to `fd`, and exit without returning."""
    try:
        _limit_memory(ANALYSIS_MEMORY_BYTES)
        prepared = work()
        head = json.dumps({"cells": prepared.cells, "fatal": prepared.fatal, "problems": prepared.problems})
        view = memoryview(f"{head}\n{prepared.text or ''}".encode())
        while view:
            view = view[os.write(fd, view):]
    except MemoryError:
        os._exit(OUT_OF_MEMORY)
    except BaseException:  # noqa: BLE001 - whatever happens, the child must not return into the grader
        os._exit(1)
    os._exit(0)


def _limit_memory(extra: int) -> None:
    """Cap this process's address space at what it maps now plus `extra` bytes (the grader maps torch's libraries)."""
    mapped = int(Path("/proc/self/statm").read_text().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    limit = mapped + extra if hard == resource.RLIM_INFINITY else min(mapped + extra, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _read_all(fd: int, deadline: float) -> bytes | None:
    """Everything written to `fd` until it closes, or None if that takes past `deadline`."""
    chunks = []
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not selector.select(left):
                return None
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


@functools.cache
def _warm_parser() -> None:
    """Import IPython's input translation once in the grader, not in every child (about 0.1 s each)."""
    notebook.python_source("")
