"""Run a notebook in a child process (coursekit.engine.runner) and read back what it wrote.

`execute` runs trusted code in fresh processes (reference, key, catalogued mistakes); the grading
fork server shares its records (`Execution`), its parsing of what a run left (`take_outputs`)
and its retry loop (`run_attempts`): whatever a run does, it is bounded by wall-clock time, and a
crashing cell is skipped in a rerun, so one bad cell costs only what depends on it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from coursekit.arrays import load_npz
from coursekit.engine.runner import PUBLIC_DONE, SUBMISSION, Job

MAX_ATTEMPTS = 4  # a run plus retries that skip the cell (or check) that killed the process
MAX_OUTPUT_BYTES = 1 << 30  # trusted runs only: a reference's outputs are bounded by its author


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
    try:
        return json.loads(path.read_text()[:1_000_000])
    except (OSError, ValueError):
        return None


def _collect(out: Path, execution: Execution, max_bytes: int) -> None:
    """Take what a run left in `out`: regular files only, never through links the sandbox made."""
    files = {}
    for path in [out / "cells.json", *(out / "outputs").glob("*/*")]:
        if not any(p.is_symlink() for p in (path, path.parent, path.parent.parent)) and path.is_file():
            files[str(path.relative_to(out))] = path.read_bytes()
    take_outputs(files, execution, max_bytes)


def take_outputs(files: Mapping[str, bytes], execution: Execution, max_bytes: int) -> None:
    """Add a run's files (cells.json, outputs/<variant>/<check>.npz or .json) to `execution`.

    Records already there win: a rerun only fills in what earlier attempts did not produce.
    """
    cells = _json(files.get("cells.json", b""))
    if isinstance(cells, list):
        known = {c["index"] for c in execution.cells}
        execution.cells += [c for c in cells if isinstance(c, dict) and c.get("index") not in known]
    for path in sorted(files):
        parts = path.split("/")
        if len(parts) != 3 or parts[0] != "outputs":
            continue
        records = execution.variants.setdefault(parts[1], {})
        name, _, suffix = parts[2].rpartition(".")
        if name in records:
            continue
        if suffix == "npz":
            try:
                records[name] = ProbeRecord("ok", outputs=load_npz(io.BytesIO(files[path]), max_bytes))
            except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
                records[name] = ProbeRecord("error", error=f"its outputs could not be read ({exc})")
        elif suffix == "json":
            data = _json(files[path])
            if isinstance(data, dict):
                status = data.get("status") if data.get("status") in ("error", "timeout") else "error"
                records[name] = ProbeRecord(status, error=str(data.get("error", ""))[:500])


def _json(data: bytes) -> object:
    try:
        return json.loads(data[:1_000_000])
    except ValueError:
        return None


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
    if code is None:
        return "did not finish"
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        detail = " (out of memory or CPU time?)" if name in ("SIGKILL", "SIGXCPU", "SIGSEGV") else ""
        return f"was killed by {name}{detail}"
    if code == 0:
        return "exited early with code 0 (sys.exit or os._exit in the notebook?)"
    return f"exited with code {code}"
