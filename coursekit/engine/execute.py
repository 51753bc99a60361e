"""Run a notebook in a child process (coursekit.engine.runner) and read back what it wrote.

`execute` runs trusted code in fresh processes (reference, key, catalogued mistakes); the grading
fork server shares its records (`Execution`), its parsing of what a run left (`take_outputs`)
and its retry loop (`run_attempts`): whatever a run does, it is bounded by wall-clock time, and a
crashing cell is skipped in a rerun, so one bad cell costs only what depends on it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from coursekit.arrays import load_npz
from coursekit.engine.runner import PUBLIC_DONE, SUBMISSION, Job

MAX_ATTEMPTS = 4  # a run plus retries that skip the cell (or check) that killed the process
MAX_OUTPUT_BYTES = 1 << 30  # trusted runs only: a reference's outputs are bounded by its author
MAX_RECORD_BYTES = 1 << 20  # cells.json, progress.json or a probe's .json: the runner writes a few kilobytes
MAX_JSON_DEPTH = 64  # the runner's records nest 2 levels, notebooks about 10
MAX_PROBE_ARRAYS = 1000  # outputs of one probe
MAX_ERROR_CHARS = 500
CELL_STATUSES = ("ok", "error", "timeout", "skipped")  # what the runner writes in cells.json
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)  # a JSON string, escapes included
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPENING = np.frombuffer(b"[{", dtype=np.uint8)


@dataclass
class ProbeRecord:
    status: str  # "ok", "error", "timeout", "crashed", "not run"
    outputs: dict[str, np.ndarray] | None = None
    error: str | None = None


@dataclass
class Execution:
    cells: list[dict] = field(default_factory=list)
    variants: dict[str, dict[str, ProbeRecord]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # whole-run events: crashes, timeouts
    seconds: float = 0.0

    def done(self) -> list[str]:
        """"variant/check" of every probe already recorded: a rerun does not produce them again."""
        return [f"{v}/{c}" for v, records in self.variants.items() for c in records]

    def probe(self, check: str, variant: str = SUBMISSION) -> ProbeRecord:
        return self.variants.get(variant, {}).get(check, ProbeRecord("not run", error="not run"))

    @property
    def cell_errors(self) -> list[dict]:
        return [c for c in self.cells if c.get("status") in ("error", "timeout", "crashed")]


def _read_json(path: Path) -> object:
    """A small JSON file a run wrote, or None when it is missing, too large or not JSON."""
    try:
        with open(path, "rb") as handle:
            return parse_json(handle.read(MAX_RECORD_BYTES + 1))
    except (OSError, ValueError):
        return None


def _collect(out: Path, execution: Execution, max_bytes: int) -> None:
    """Take what a run left in `out`: regular files only, never through links the sandbox made."""
    files = {}
    for path in [out / "cells.json", *(out / "outputs").glob("*/*")]:
        if (not any(p.is_symlink() for p in (path, path.parent, path.parent.parent)) and path.is_file()
                and path.stat().st_size <= max_bytes):
            files[str(path.relative_to(out))] = path.read_bytes()
    take_outputs(files, execution, max_bytes)


def take_outputs(files: Mapping[str, bytes], execution: Execution, max_bytes: int) -> None:
    """Add a run's files (cells.json, outputs/<variant>/<check>.npz or .json) to `execution`.

    Never raises: the files come from learner code, so each is checked, and one that cannot be
    read is dropped (cell records) or becomes its probe's error. Records already there win: a
    rerun only fills in what earlier attempts did not produce.
    """
    known = {c["index"] for c in execution.cells}
    for cell in _cell_records(files.get("cells.json")):
        if cell["index"] not in known:
            known.add(cell["index"])
            execution.cells.append(cell)
    for path in sorted(files):
        parts = path.split("/")
        if len(parts) != 3 or parts[0] != "outputs":
            continue
        records = execution.variants.setdefault(parts[1], {})
        name, _, suffix = parts[2].rpartition(".")
        if name not in records and suffix in ("npz", "json"):
            records[name] = _probe_record(files[path], suffix, max_bytes)


def _cell_records(data: bytes | None) -> list[dict]:
    """The well-formed records of a cells.json: {"index": int >= 0, "status": known, "error": one line}."""
    try:
        cells = parse_json(data or b"")
    except ValueError:
        return []
    if not isinstance(cells, list):
        return []
    records = []
    for cell in cells:
        index = cell.get("index") if isinstance(cell, dict) else None
        if type(index) is int and index >= 0 and cell.get("status") in CELL_STATUSES:  # bool is not an index
            error = {"error": plain_text(cell["error"])} if "error" in cell else {}
            records.append({"index": index, "status": cell["status"]} | error)
    return records


def _probe_record(data: bytes, suffix: str, max_bytes: int) -> ProbeRecord:
    """A probe's outputs (.npz) or why it has none (.json), read without trusting either."""
    if suffix == "npz":
        try:
            return ProbeRecord("ok", outputs=load_npz(data, max_bytes, MAX_PROBE_ARRAYS))
        except Exception as exc:  # noqa: BLE001 - untrusted bytes: any failure of the zip or .npy parsers is this probe's
            return ProbeRecord("error", error=f"its outputs could not be read ({plain_text(str(exc), 200)})")
    try:
        record = parse_json(data)
    except ValueError:
        record = None
    if not isinstance(record, dict) or not isinstance(record.get("error"), str):
        return ProbeRecord("error", error="its error record could not be read")
    status = record["status"] if record.get("status") in ("error", "timeout") else "error"
    return ProbeRecord(status, error=plain_text(record["error"]))


def parse_json(data: bytes, max_bytes: int = MAX_RECORD_BYTES) -> object:
    """Untrusted JSON as Python data, if within `max_bytes` and MAX_JSON_DEPTH; ValueError says why not."""
    if len(data) > max_bytes:
        raise ValueError(f"it is over {max_bytes} bytes")
    if _json_depth(data) > MAX_JSON_DEPTH:  # checked first: json's recursion ends in RecursionError
        raise ValueError(f"it is nested more than {MAX_JSON_DEPTH} levels deep")
    try:
        return json.loads(data)
    except RecursionError as exc:
        raise ValueError("it is nested too deeply") from exc
    except MemoryError as exc:
        raise ValueError("it needs too much memory to parse") from exc


def _json_depth(data: bytes) -> int:
    """How deeply the arrays and objects of `data` nest, counted without parsing it (strings skipped)."""
    brackets = np.frombuffer(_JSON_STRING.sub(b"", data).translate(None, _NOT_BRACKETS), dtype=np.uint8)
    steps = np.isin(brackets, _OPENING).view(np.int8) * np.int8(2) - np.int8(1)  # +1 opens, -1 closes
    return int(np.cumsum(steps, dtype=np.int32).max(initial=0))


def plain_text(value: object, limit: int = MAX_ERROR_CHARS) -> str:
    """Untrusted text as one line of at most `limit` characters that UTF-8 can encode ("" for a non-string)."""
    if not isinstance(value, str):
        return ""
    return " ".join(value[:limit].split()).encode("utf-8", "replace").decode()


@dataclass
class Outcome:
    """How one attempt at running a notebook ended."""

    progress: object  # its last progress record (untrusted: checked by record_failure)
    reason: str = ""  # why it ended early, for the learner: "exited with code 1", "ran past the 300 s limit"
    timed_out: bool = False  # the whole notebook's deadline passed


Attempt = Callable[[list[int], float], Outcome]  # (cells to skip, seconds left) -> how the run ended


def run_attempts(execution: Execution, deadline_s: float, attempt: Attempt) -> None:
    """Run `attempt` until the notebook is done, the deadline passes or a rerun cannot help.

    The one retry loop of the kit (fresh processes and the fork server alike): a crashing cell is
    skipped in the next attempt; outputs already in `execution` are kept and not produced again.
    """
    start = time.monotonic()
    skip_cells: list[int] = []
    for _ in range(MAX_ATTEMPTS):
        left = deadline_s - (time.monotonic() - start)
        if left <= 1:
            execution.problems.append(f"the notebook ran past its {deadline_s:g} s limit")
            break
        outcome = attempt(list(skip_cells), left)
        if isinstance(outcome.progress, dict) and outcome.progress.get("phase") == "done":
            break
        if not record_failure(execution, outcome.progress, outcome.reason, outcome.timed_out, skip_cells):
            break
    execution.seconds = time.monotonic() - start


def _kill(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def execute(job: Job, *, deadline_s: float, workdir: Path) -> Execution:
    """Run trusted code (the reference, the key, catalogued mistakes) in fresh child processes.

    `job.out` is replaced by a fresh temporary folder per attempt; learner code is never run
    here (grading uses coursekit.engine.forkserver).
    """
    execution = Execution()

    def attempt(skip_cells: list[int], left: float) -> Outcome:
        with tempfile.TemporaryDirectory(prefix="coursekit-run-") as tmp:
            out = Path(tmp) / "out"
            out.mkdir()
            job_file = Path(tmp) / "job.json"
            this = Job(**{**asdict(job), "out": str(out), "skip_cells": skip_cells, "skip_checks": execution.done()})
            job_file.write_text(json.dumps(asdict(this)))
            argv = [sys.executable, "-m", "coursekit.engine.runner", str(job_file)]
            with open(out / "stderr.txt", "wb") as stderr:
                process = subprocess.Popen(argv, cwd=workdir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                           stderr=stderr, start_new_session=True)
                try:
                    code, timed_out = process.wait(timeout=left), False
                except subprocess.TimeoutExpired:
                    code, timed_out = None, True
                _kill(process)  # also ends anything the notebook left behind in its group
            _collect(out, execution, MAX_OUTPUT_BYTES)
            progress = _read_json(out / "progress.json") or {}
        reason = f"ran past the {deadline_s:g} s limit" if timed_out else exit_reason(code)
        return Outcome(progress, reason, timed_out)

    run_attempts(execution, deadline_s, attempt)
    return execution


def record_failure(execution: Execution, progress: object, reason: str, timed_out: bool, skip_cells: list[int]) -> bool:
    """Note why an attempt ended early (from its last progress.json); True if a rerun may help.

    A crashing cell is skipped in the rerun; a crashing check keeps the outputs of the checks
    before it and is not run again.
    """
    phase = progress.get("phase") if isinstance(progress, dict) else None
    if phase == "cell" and isinstance(progress.get("cell"), int):
        cell = progress["cell"]
        execution.problems.append(f"cell {cell} {reason}; it was skipped and the notebook run again")
        execution.cells.append({"index": cell, "status": "crashed", "error": reason})
        skip_cells.append(cell)
        return True
    if phase == "check":
        variant, check = str(progress.get("variant", SUBMISSION)), str(progress.get("check", ""))
        execution.variants.setdefault(variant, {})[check] = ProbeRecord("crashed", error=f"the check {reason}")
        execution.problems.append(f"check {check} {reason}")
        return not timed_out  # already-finished checks are kept; the rerun fills in the rest
    if phase == PUBLIC_DONE:
        execution.problems.append(f"the grading process {reason} while loading the hidden checks")
        return False
    execution.problems.append(f"the grading process {reason} before running any cell")
    return False


def exit_reason(code: int | None) -> str:
    """Why a process ended early, as a category: feedback never shows a number learner code chose
    (an exit code, a signal it sent itself), which could carry out what it learnt, such as hidden inputs."""
    if code == 0:
        return "exited early with code 0 (sys.exit or os._exit in the notebook?)"
    if code is not None and code > 0:
        return "exited early with an error code"
    if code == -signal.SIGXCPU:
        return "ran out of CPU time"
    if code == -signal.SIGKILL:
        return "was killed (out of memory or CPU time?)"
    return "crashed"
