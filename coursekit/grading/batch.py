"""Grade a batch: a pool of workers, each driving its own sandbox; resumable, and never stopped by one submission.

Results are written atomically per submission; a rerun skips what is already graded (same
student, same notebook content) unless `force`. Whatever happens to one submission (the grader
fails on it, its worker dies), the others are graded and `gradebook.csv` is written; a failed
submission keeps no grade.json, so the next run grades it again.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import shutil
import traceback
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing.util import Finalize
from pathlib import Path

from coursekit.config import Course, Week
from coursekit.engine.forkserver import ForkServer
from coursekit.grading.grade import DONE, grade_notebook
from coursekit.grading.gradebook import Gradebook
from coursekit.grading.static import file_digest
from coursekit.grading.submissions import Submission, find_submissions
from coursekit.grading.week import WeekGrader

LOGS = "_logs"  # in the output folder: worker logs of submissions the grader failed on


@dataclass
class BatchRow:
    """One submission's outcome in a batch: its gradebook row, or why the grader could not grade it."""

    student: str
    row: dict | None  # GradeResult.row(); None when the grader failed
    skipped: bool = False  # graded by an earlier run (same content)
    error: str = ""  # the grader's failure, one line; the submission is graded again next run


_worker: dict = {}  # in each pool process: its WeekGrader, ForkServer and index


def _init_worker(grader: WeekGrader, indices: multiprocessing.SimpleQueue) -> None:
    index = indices.get()
    server = grader.server(worker=index)
    _worker.update(grader=grader, server=server, index=index)
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


def _grade_in_worker(submission: Submission, out: Path) -> BatchRow:
    grader, server = _worker["grader"], _worker["server"]
    try:
        result = grade_notebook(grader.course, grader.week, submission.path, out / submission.student,
                                student=submission.student, submitted_at=submission.submitted_at, grader=grader,
                                server=server, notes=[submission.note] if submission.note else [],
                                source=submission.source)
    except Exception as exc:  # noqa: BLE001 - the grader's failure on one submission must not end the batch
        log = _keep_log(server, out, submission.student)
        server.stop()  # a fresh sandbox for the next submission
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
    roster: Path | None = None, manifest: Path | None = None, progress: bool = True,
) -> list[BatchRow]:
    """Grade every submission under `inputs` into `out`; returns one BatchRow per submission, by student."""
    grader = WeekGrader.load(course, week)
    submissions = find_submissions(inputs, grader.paths.notebook_name, roster=roster, manifest=manifest)
    out.mkdir(parents=True, exist_ok=True)
    rows, todo = [], []
    with Gradebook(out / "gradebook.db") as book:
        for submission in submissions:
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
    from tqdm import tqdm

    workers = max(1, min(workers or os.cpu_count() or 1, len(todo)))
    context = multiprocessing.get_context("fork")  # workers inherit the loaded week: nothing to pickle
    indices = context.SimpleQueue()
    for index in range(workers):
        indices.put(index)
    rows = []
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                             initargs=(grader, indices)) as pool:
        futures: dict[Future, Submission] = {pool.submit(_grade_in_worker, s, out): s for s in todo}
        bar = tqdm(total=len(todo), desc=f"grading {grader.week.slug}", unit="nb", disable=not progress)
        try:
            for future in as_completed(futures):
                submission = futures[future]
                try:
                    row = future.result()
                except Exception as exc:  # noqa: BLE001 - a worker died: only its submission is affected
                    row = BatchRow(submission.student, None, error=f"the grading worker died ({exc}); rerun to retry")
                if row.row is not None:
                    book.upsert(row.row)
                rows.append(row)
                bar.update()
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        finally:
            bar.close()
    return rows
