"""Grade a batch: a pool of workers, each driving its own sandbox; resumable, and never stopped by one submission.

Results are written atomically per submission; a rerun skips what is already graded (same
student, same notebook content) unless `force`. Whatever happens to one submission (the grader
fails on it, its worker dies), the others are graded and `gradebook.csv` is written. A failure
while grading a submission is its one-line problem, as is ending its worker twice; only a grader
that cannot run (its sandbox does not start) leaves no grade.json, so the next run grades it again.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import shutil
import traceback
from collections import Counter
from collections.abc import Callable, MutableSequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.util import Finalize
from pathlib import Path

from coursekit.config import Course, Week
from coursekit.engine.forkserver import ForkServer
from coursekit.grading.grade import DONE, grade_notebook, record_ungraded
from coursekit.grading.gradebook import Gradebook
from coursekit.grading.static import file_digest
from coursekit.grading.submissions import Found, Submission, find_submissions
from coursekit.grading.week import WeekGrader

LOGS = "_logs"  # in the output folder: worker logs of submissions the grader failed on
IDLE = -1  # a worker's `running` slot between submissions
MAX_WORKER_DEATHS = 2  # per submission: once may be a neighbour's doing, the second time it runs alone
MAX_IDLE_BREAKS = 2  # pools whose workers died with no submission running (a broken set-up)
WORKERS_DIED = "the grading workers died before grading anything (see the terminal); rerun to retry"


@dataclass
class BatchRow:
    """One submission's outcome in a batch: its gradebook row, or why the grader could not grade it."""

    student: str
    row: dict | None  # GradeResult.row(); None when the grader failed
    skipped: bool = False  # graded by an earlier run (same content)
    error: str = ""  # the grader's failure, one line; the submission is graded again next run


_worker: dict = {}  # in each pool process: its WeekGrader, ForkServer, index and the shared `running` slots


def _init_worker(grader: WeekGrader, indices: multiprocessing.SimpleQueue, running: MutableSequence[int]) -> None:
    index = indices.get()
    server = grader.server(worker=index)
    _worker.update(grader=grader, server=server, index=index, running=running)
    Finalize(server, server.close, exitpriority=10)
    with contextlib.suppress(RuntimeError):  # said by the first submission's grading, which tries again
        server.start()  # warm up while the pool fills


def _keep_log(server: ForkServer, out: Path, student: str) -> str:
    """Copy the worker's sandbox log into `out/_logs/`; returns where it went."""
    dest = out / LOGS / f"{student}.log"
    dest.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        shutil.copyfile(server.log_path, dest)
    return str(dest.relative_to(out))


def _grade_in_worker(position: int, submission: Submission, out: Path) -> BatchRow:
    """Grade one submission in this worker; `running` says which, should the worker die meanwhile."""
    running, index = _worker["running"], _worker["index"]
    running[index] = position
    try:
        return _grade_here(submission, out)
    finally:
        running[index] = IDLE


def _grade_here(submission: Submission, out: Path) -> BatchRow:
    grader, server = _worker["grader"], _worker["server"]
    try:
        result = grade_notebook(grader.course, grader.week, submission.path, out / submission.student,
                                student=submission.student, submitted_at=submission.submitted_at, grader=grader,
                                server=server, notes=[submission.note] if submission.note else [],
                                source=submission.source)
    except Exception as exc:  # noqa: BLE001 - the grader's failure on one submission must not end the batch
        log = _keep_log(server, out, submission.student)
        server.stop()  # a fresh sandbox, started on this submission's time rather than the next one's
        with contextlib.suppress(RuntimeError):
            server.start()
        why = traceback.format_exception_only(exc)[-1].strip()[:300]
        return BatchRow(submission.student, None, error=f"the grader failed ({why}); log in {log}; rerun to retry")
    return BatchRow(submission.student, result.row())


def _already_graded(submission: Submission, out: Path, week: Week) -> dict | None:
    """The gradebook row of an earlier grading of this very content (same week, same sha256)."""
    try:
        row = json.loads((out / submission.student / DONE).read_text())
        digest = file_digest(submission.path) if submission.path else "none"
    except (OSError, ValueError):
        return None
    if not isinstance(row, dict):
        return None
    return row if row.get("week") == week.slug and row.get("sha256") == digest else None


def grade_batch(
    course: Course, week: Week, inputs: list[Path], out: Path, *, workers: int = 0, force: bool = False,
    roster: Path | None = None, manifest: Path | None = None, progress: bool = True, found: Found | None = None,
) -> list[BatchRow]:
    """Grade every submission under `inputs` into `out`; returns one BatchRow per submission, by student.

    `found`: submissions already found (e.g. repositories read at the deadline); `inputs` is then not read.
    """
    grader = WeekGrader.load(course, week)
    if found is None:
        found = find_submissions(inputs, grader.paths.notebook_name, roster=roster, manifest=manifest)
    out.mkdir(parents=True, exist_ok=True)
    rows, todo = [BatchRow(p.what, None, error=p.why) for p in found.problems], []
    with Gradebook(out / "gradebook.db") as book:
        for submission in found.submissions:
            row = None if force else _already_graded(submission, out, week)
            if row is None:
                todo.append(submission)
            else:
                book.upsert(row)
                rows.append(BatchRow(submission.student, row, skipped=True))
        try:
            if todo:
                rows += _run_pool(grader, todo, out, workers, book, progress)
        finally:  # written even when interrupted: what was graded is kept
            book.export_csv(out / "gradebook.csv", week.slug, [c.name for c in grader.checks.checks],
                            policy=course.attempts)
    return sorted(rows, key=lambda r: r.student)


def _run_pool(grader: WeekGrader, todo: list[Submission], out: Path, workers: int, book: Gradebook,
              progress: bool) -> list[BatchRow]:
    """Grade `todo` in pools of workers, as many pools as it takes: a worker that dies costs no other submission.

    When a worker dies, the pool breaks: what was running anywhere in it is graded again, each alone
    in a fresh pool of one, and what had not started goes to a fresh pool. A submission running
    when its worker died MAX_WORKER_DEATHS times (the last time alone: it did it) is recorded as
    its problem, ungraded; pools that break with nothing running give up after MAX_IDLE_BREAKS.
    """
    from tqdm import tqdm

    rows: dict[int, BatchRow] = {}
    deaths: Counter[int] = Counter()
    idle_breaks = 0
    workers = max(1, min(workers or os.cpu_count() or 1, len(todo)))
    with tqdm(total=len(todo), desc=f"grading {grader.week.slug}", unit="nb", disable=not progress) as bar:

        def done(position: int, row: BatchRow) -> None:
            if row.row is not None:
                book.upsert(row.row)
            rows[position] = row
            bar.update()

        while pending := [p for p in range(len(todo)) if p not in rows]:
            suspects = [p for p in pending if deaths[p]]
            running = _pool_round(grader, todo, suspects[:1] or pending, out, 1 if suspects else workers, done)
            if running is None:  # no worker died
                continue
            deaths.update(running)
            idle_breaks += not running
            for position in running:
                if deaths[position] >= MAX_WORKER_DEATHS:
                    done(position, _killed_worker(grader, todo[position], out))
            if idle_breaks >= MAX_IDLE_BREAKS:
                for position in [p for p in range(len(todo)) if p not in rows]:
                    done(position, BatchRow(todo[position].student, None, error=WORKERS_DIED))
    return [rows[p] for p in sorted(rows)]


def _pool_round(grader: WeekGrader, todo: list[Submission], positions: list[int], out: Path, workers: int,
                done: Callable[[int, BatchRow], None]) -> set[int] | None:
    """Grade `positions` of `todo` in one fresh pool; if a worker died, what was running in the pool then."""
    context = multiprocessing.get_context("fork")  # workers inherit the loaded week: nothing to pickle
    indices = context.SimpleQueue()
    for index in range(workers):
        indices.put(index)
    running = context.Array("q", [IDLE] * workers, lock=False)  # each worker writes its own slot only
    broken = False
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                             initargs=(grader, indices, running)) as pool:
        futures: dict[Future, int] = {pool.submit(_grade_in_worker, p, todo[p], out): p for p in positions}
        try:
            for future in as_completed(futures):
                position = futures[future]
                try:
                    row = future.result()
                except BrokenProcessPool:
                    broken = True  # it and everything unfinished are graded again in a fresh pool
                    continue
                except Exception as exc:  # noqa: BLE001 - e.g. a result that could not be sent back
                    row = BatchRow(todo[position].student, None, error=f"the grading worker failed ({exc}); rerun")
                done(position, row)
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return {p for p in running if p != IDLE} if broken else None


def _killed_worker(grader: WeekGrader, submission: Submission, out: Path) -> BatchRow:
    """The row of a submission whose grading ended its worker every time: graded zero, with that problem."""
    problem = (f"grading this notebook ended the grader's process {MAX_WORKER_DEATHS} times (out of memory?), "
               "so it was not graded: tell your instructor")
    result = record_ungraded(grader, submission.path, out / submission.student, problem, student=submission.student,
                             submitted_at=submission.submitted_at, notes=[submission.note] if submission.note else [])
    return BatchRow(submission.student, result.row())
