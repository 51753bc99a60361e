"""Run a notebook in a child process (coursekit.runner) and read back what it wrote.

The child may be sandboxed (grading) or not (trusted reference runs). Whatever it does, this
side bounds it by wall-clock time, kills its process group, and retries once per crashing
cell with that cell skipped, so one bad cell costs only what depends on it.
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
from coursekit.runner import PUBLIC_DONE, SUBMISSION, Job

MAX_ATTEMPTS = 4  # a run plus retries that skip the cell (or check) that killed the process


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

    def probe(self, check: str, variant: str = SUBMISSION) -> ProbeRecord:
        return self.variants.get(variant, {}).get(check, ProbeRecord("not run", error="not run"))

    @property
    def cell_errors(self) -> list[dict]:
        return [c for c in self.cells if c.get("status") in ("error", "timeout", "crashed")]


class Unsandboxed:
    """Runs the child as it is: for trusted code (the reference, catalogued mistakes)."""

    name = "none (trusted code)"

    def command(self, argv: list[str], *, workdir: Path, readable: list[Path], writable: list[Path]) -> list[str]:
        return argv

    def preexec(self) -> Callable[[], None] | None:
        return None


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


def _kill(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def execute(
    job: Job,
    *,
    deadline_s: float,
    workdir: Path,
    sandbox: Unsandboxed | None = None,
    readable: list[Path] = (),
    max_output_bytes: int = 64 << 20,
) -> Execution:
    """Run `job` (its `out` is replaced by a fresh temporary folder) within `deadline_s` seconds."""
    sandbox = sandbox or Unsandboxed()
    execution = Execution()
    start = time.monotonic()
    skip_cells = list(job.skip_cells)
    for _ in range(MAX_ATTEMPTS):
        left = deadline_s - (time.monotonic() - start)
        if left <= 1:
            execution.problems.append(f"the notebook ran past its {deadline_s:g} s limit")
            break
        with tempfile.TemporaryDirectory(prefix="coursekit-run-") as tmp:
            out = Path(tmp) / "out"
            out.mkdir()
            job_file = Path(tmp) / "job.json"
            done = [f"{v}/{c}" for v, records in execution.variants.items() for c in records]
            attempt = Job(**{**asdict(job), "out": str(out), "skip_cells": skip_cells, "skip_checks": done})
            job_file.write_text(json.dumps(asdict(attempt)))
            argv = [sys.executable, "-m", "coursekit.runner", str(job_file)]
            command = sandbox.command(argv, workdir=workdir, readable=[*readable, job_file], writable=[out])
            with open(out / "stderr.txt", "wb") as stderr:
                process = subprocess.Popen(
                    command, cwd=workdir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                    start_new_session=True, preexec_fn=sandbox.preexec(),
                )
                try:
                    code = process.wait(timeout=left)
                    timed_out = False
                except subprocess.TimeoutExpired:
                    timed_out = True
                    _kill(process)
                    code = process.returncode
                _kill(process)  # also ends anything the notebook left behind in its group
            _collect(out, execution, max_output_bytes)
            progress = _read_json(out / "progress.json") or {}
        if isinstance(progress, dict) and progress.get("phase") == "done":
            break
        reason = f"ran past the {deadline_s:g} s limit" if timed_out else exit_reason(code)
        if not record_failure(execution, progress, reason, timed_out, skip_cells):
            break
    execution.seconds = time.monotonic() - start
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
