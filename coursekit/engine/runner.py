"""Execute a notebook and run probes on its namespace; write only outputs and statuses.

Run as ``python -m coursekit.engine.runner JOB.json``, in a child process (sandboxed when grading).
The parent never trusts this process: it reads back plain arrays and short JSON records,
and compares them with the reference itself.

The cells run in one in-process IPython shell rather than a Jupyter kernel (nbclient): a
kernel adds ZMQ sockets, a second process and about a second per notebook, and the parent
kills the whole sandbox on any hang anyway. Per-cell and per-check limits use SIGALRM.

Layout of the output folder:
    cells.json                       one record per cell: index, status, error, seconds
    progress.json                    the cell or check being run (read if the process dies)
    outputs/<variant>/<check>.npz    a probe's outputs
    outputs/<variant>/<check>.json   or why it produced none

Variants: `submission` (the notebook as written), `isolated` (grading only: the public checks run
again after the notebook, with the answer key's other graded definitions, see `Isolation`), and
one per catalogued mistake or accepted variant (trusted reference runs).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coursekit.files import write_atomic

RUNNER_ENV = "COURSEKIT_RUNNER"  # set while a notebook runs here: check() stays silent
SUBMISSION = "submission"  # the variant name of the notebook as written
ISOLATED = "isolated"  # grading: the public checks again, every other graded name the answer key's
PUBLIC_DONE = "public-done"  # progress.json phase: public outputs written, hidden checks not yet loaded
CELL_FILE = re.compile(r"ipython-input-(\d+)-")


@dataclass
class Job:
    notebook: str
    checks_folder: str
    out: str
    hidden: bool = True  # run hidden checks too
    alternatives: bool = False  # also run every catalogued mistake and accepted variant (trusted runs only)
    # ... on every check, so validate can measure what a mistake costs elsewhere (isolation makes that 0),
    # or only on their own function's checks and integration checks (the rest equal the reference's)
    alternatives_everywhere: bool = True
    skip_tags: list[str] = field(default_factory=lambda: ["train", "gpu-extra"])
    skip_cells: list[int] = field(default_factory=list)
    skip_checks: list[str] = field(default_factory=list)  # "variant/check" already done by an earlier attempt
    cell_timeout_s: float = 60
    check_timeout_s: float = 20
    seed: int = 1234
    input_seed: int = 0  # probe inputs: 0 the public ones, else drawn fresh (coursekit.probing.set_input_seed)
    threads: int = 1


class Timeout(BaseException):
    """Raised by SIGALRM; a BaseException so `except Exception` in learner code misses it."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise Timeout()


def _arm(seconds: float) -> None:
    # re-fire every second in case learner code swallows the first one
    signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)


def _disarm() -> None:
    signal.setitimer(signal.ITIMER_REAL, 0)


def _write_json(path: Path, data: Any) -> None:
    write_atomic(path, json.dumps(data))


@dataclass
class Progress:
    """Says what runs now: in `out/progress.json` (read if the process dies) and to `notify` (the fork server)."""

    out: Path
    notify: Callable[[dict], None] | None = None

    def __call__(self, record: dict) -> None:
        _write_json(self.out / "progress.json", record)
        if self.notify is not None:
            self.notify(record)


def seed_everything(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def describe(exc: BaseException, cell_of: dict[int, int]) -> str:
    """A short, one-line account of an exception: type, message, and the notebook cell."""
    from coursekit.errors import ProbeError

    if isinstance(exc, Timeout):
        return "timed out"
    if isinstance(exc, NotImplementedError):
        return "NotImplementedError: not implemented yet"
    where = ""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        match = CELL_FILE.search(frame.filename or "")
        if match and int(match.group(1)) in cell_of:
            where = f" (cell {cell_of[int(match.group(1))]}, line {frame.lineno})"
            break
    if isinstance(exc, ProbeError):
        return f"{exc}{where}"
    message = " ".join(str(exc).split())[:300]
    return f"{type(exc).__name__}: {message}{where}"


def run_cells(shell: Any, job: Job, progress: Progress, cell_of: dict[int, int]) -> list[dict]:
    """Run the notebook's code cells in order; an error or timeout stops only that cell."""
    from coursekit.notebook import read, tags

    records = []
    skip_tags = set(job.skip_tags)
    for index, cell in enumerate(read(Path(job.notebook)).cells):
        if cell.cell_type != "code":
            continue
        if tags(cell) & skip_tags or index in job.skip_cells:
            records.append({"index": index, "status": "skipped"})
            continue
        progress({"phase": "cell", "cell": index})
        cell_of[shell.execution_count] = index
        start = time.perf_counter()
        _arm(job.cell_timeout_s)
        try:
            result = shell.run_cell(cell.source, store_history=True, silent=False)
        except Timeout:  # raised outside the cell's own code, e.g. while compiling
            result = None
        finally:
            _disarm()
        record = {"index": index, "status": "ok", "seconds": round(time.perf_counter() - start, 3)}
        error = None if result is None else (result.error_in_exec or result.error_before_exec)
        if result is None or isinstance(error, Timeout):
            record.update(status="timeout", error=f"cell {index} ran past {job.cell_timeout_s:g} s")
        elif error is not None:
            record.update(status="error", error=describe(error, cell_of))
        records.append(record)
        _write_json(progress.out / "cells.json", records)
    return records


@dataclass
class Isolation:
    """The answer key's graded definitions: while one function's check runs, every other graded name
    in the namespace is the key's, so a bug is charged only to the function that has it."""

    key: dict  # a namespace holding the key's definitions
    graded: set[str]
    sources: dict[str, str] = field(default_factory=dict)  # grading: {name: source} of the key's definitions
    made: dict[str, dict] = field(default_factory=dict)  # grading: the key's namespace for checks of each function

    @classmethod
    def from_sources(cls, ns: dict, sources: dict[str, str], graded: set[str]) -> Isolation:
        """Grading: the key's definitions are made from source, per function under test, in a copy of the
        notebook's namespace (its imports and given helpers) that lacks the key's version of that function,
        so learner code under test can reach the key's other definitions but never the one it must write."""
        return cls(dict(ns), graded, sources)

    def _key_for(self, function: str) -> dict:
        if not self.sources:
            return self.key
        if function not in self.made:
            key = dict(self.key)
            for name, source in self.sources.items():
                if name != function:
                    with contextlib.suppress(Exception):  # learner code may have removed what a definition needs
                        exec(compile(source, f"<answer key: {name}>", "exec"), key)
            self.made[function] = key
        return self.made[function]

    @contextlib.contextmanager
    def around(self, ns: dict, check: Any) -> Iterator[None]:
        if check.integration:
            yield
            return
        key = self._key_for(check.function)
        others = {n for n in self.graded - {check.function} if n in key}
        saved = {n: ns[n] for n in others if n in ns}
        ns.update({n: key[n] for n in others})
        try:
            yield
        finally:
            for name in others:
                ns.pop(name, None)
            ns.update(saved)


def run_probes(ns: dict, variant: str, checks: tuple, job: Job, progress: Progress, cell_of: dict[int, int],
               isolation: Isolation | None = None) -> None:
    from coursekit.arrays import save_npz, to_array
    from coursekit.probing import mixed, set_input_seed

    folder = progress.out / "outputs" / variant
    folder.mkdir(parents=True, exist_ok=True)
    for check in checks:
        if f"{variant}/{check.name}" in job.skip_checks:
            continue
        progress({"phase": "check", "variant": variant, "check": check.name})
        set_input_seed(job.input_seed)  # again before every probe: learner code may have changed it
        seed_everything(mixed(job.seed) % 2**32)  # numpy takes seeds below 2**32
        timeout = check.timeout_s or job.check_timeout_s
        _arm(timeout)
        try:
            with isolation.around(ns, check) if isolation else contextlib.nullcontext():
                outputs = check.probe(ns)
            _disarm()
            if not isinstance(outputs, dict) or not outputs:
                raise TypeError("a probe must return a non-empty dict of outputs")
            arrays = {}
            for name, value in outputs.items():
                if not isinstance(name, str) or "/" in name:
                    raise TypeError(f"output name {name!r} must be a string without '/'")
                arrays[name] = to_array(value)
            save_npz(folder / f"{check.name}.npz", arrays)
        except BaseException as exc:  # noqa: BLE001 - every failure becomes a record, the run goes on
            _disarm()
            error = f"timed out after {timeout:g} s" if isinstance(exc, Timeout) else describe(exc, cell_of)
            status = "timeout" if isinstance(exc, Timeout) else "error"
            _write_json(folder / f"{check.name}.json", {"status": status, "error": error})


def start_shell(threads: int) -> Any:
    """Import what notebooks need and make the IPython shell: all before any learner code runs.

    The grading fork server calls this once and forks a child per submission from it.
    """
    os.environ[RUNNER_ENV] = "1"
    os.environ.setdefault("MPLBACKEND", "Agg")
    import torch
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    torch.set_num_threads(threads)
    config = Config()
    config.HistoryManager.enabled = False  # no SQLite file and no saving thread (threads do not survive fork)
    return InteractiveShell.instance(config=config)


def run_job(
    job: Job,
    shell: Any,
    checks: tuple,
    alternatives: tuple = (),
    hidden: Callable[[], tuple[tuple, dict[str, str]]] | None = None,
    notify: Callable[[dict], None] | None = None,
) -> None:
    """Run the notebook's cells, then the probes of `checks`, of `hidden()`, and of each alternative.

    `hidden`, when given, is called once the public outputs are written and progress.json says
    PUBLIC_DONE: the grading sandbox gets its hidden checks and the source of the answer key's graded
    definitions only then (see coursekit.engine.zygote). With the key, the hidden checks run isolated,
    and so do the public checks once more (variant ISOLATED): every graded point depends on one function.
    `notify` also receives every progress record. An alternative (a catalogued mistake or variant)
    runs isolated (`Isolation`): while a check runs, every other graded function is the notebook's,
    so a catalogued mistake is charged only in its own function's checks.
    """
    out = Path(job.out)
    out.mkdir(parents=True, exist_ok=True)
    progress = Progress(out, notify)
    signal.signal(signal.SIGALRM, _on_alarm)
    seed_everything(job.seed)
    cell_of: dict[int, int] = {}
    run_cells(shell, job, progress, cell_of)

    ns = shell.user_ns
    snapshot = dict(ns)
    graded = {c.function for c in checks}
    run_probes(ns, SUBMISSION, checks, job, progress, cell_of)
    if hidden is not None:
        progress({"phase": PUBLIC_DONE})
        hidden_checks, key = hidden()
        graded |= {c.function for c in hidden_checks}
        isolation = Isolation.from_sources(snapshot, key, graded) if key else None
        run_probes(ns, SUBMISSION, hidden_checks, job, progress, cell_of, isolation)
        if isolation is not None:
            run_probes(ns, ISOLATED, checks, job, progress, cell_of, isolation)
    for alternative in alternatives:  # catalogued mistakes and accepted variants: each redefines one function
        ns.clear()
        ns.update(snapshot)
        try:
            exec(compile(alternative.code, f"<{alternative.name}>", "exec"), ns)
        except Exception as exc:  # a broken catalogue entry is reported by validate
            _write_json(out / "outputs" / f"{alternative.name}.error.json", {"error": describe(exc, cell_of)})
            continue
        own = checks if job.alternatives_everywhere else tuple(
            c for c in checks if c.function == alternative.function or c.integration)
        run_probes(ns, alternative.name, own, job, progress, cell_of, Isolation(snapshot, graded))
    progress({"phase": "done"})


def main(job_file: str) -> None:
    job = Job(**json.loads(Path(job_file).read_text()))
    shell = start_shell(job.threads)
    from coursekit.checks import load_checks

    week = load_checks(Path(job.checks_folder), hidden=job.hidden)
    run_job(job, shell, week.checks, week.alternatives if job.alternatives else ())
    sys.stdout.flush()
    os._exit(0)  # do not wait for threads the notebook left running


if __name__ == "__main__":
    main(sys.argv[1])
