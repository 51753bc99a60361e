"""Run each week's source notebook top to bottom, training cells included, and print the times.

    .venv/bin/python benchmarks/notebooks.py [WEEK ...] [--threads 2]

Uses nbclient with a real Jupyter kernel, as a mentor's "Restart & Run All" would. Prints the
wall time of the whole notebook and of its slowest cells; `gpu-extra` cells run too and print
their own skip line where CUDA is missing.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from coursekit.config import load_course
from coursekit.notebook import tags


def run(path: Path, threads: int) -> tuple[float, list[tuple[float, int, str]]]:
    nb = nbformat.read(str(path), as_version=4)
    os.environ["OMP_NUM_THREADS"] = str(threads)
    client = NotebookClient(nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    total = time.perf_counter() - start
    cells = []
    for index, cell in enumerate(nb.cells):
        timing = cell.get("metadata", {}).get("execution", {})
        began, ended = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
        if began and ended:
            seconds = (_stamp(ended) - _stamp(began))
            cells.append((seconds, index, ",".join(sorted(tags(cell))) or "-"))
    return total, sorted(cells, reverse=True)


def _stamp(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weeks", nargs="*")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    course = load_course()
    weeks = [course.week(w) for w in args.weeks] or list(course.weeks)
    print(f"{'week':24} {'seconds':>8}  slowest cells (seconds, index, tags)")
    for week in weeks:
        total, cells = run(course.paths(week).source, args.threads)
        slowest = ", ".join(f"{s:.0f}s #{i} [{t}]" for s, i, t in cells[:3])
        print(f"{week.slug:24} {total:8.1f}  {slowest}")


if __name__ == "__main__":
    main()
