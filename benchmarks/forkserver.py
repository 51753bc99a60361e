"""Per-notebook grading time: a fresh sandboxed interpreter per notebook vs the fork server.

    .venv/bin/python benchmarks/forkserver.py WEEK NOTEBOOK... [--repeat 3]

Run from the course folder. Both ways run the same notebooks in the same bubblewrap sandbox
(rlimits where bwrap is missing), interleaved so that machine load hits them alike; only the
learner's process differs: `python -m coursekit.engine.runner` per notebook (imports torch every time)
or a fork of the warm zygote. Prints the zygote's start-up time and the median per notebook.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from coursekit.config import load_course
from coursekit.engine.runner import Job
from coursekit.engine.sandbox import choose
from coursekit.grading.static import prepare
from coursekit.grading.week import WeekGrader


def fresh(grader: WeekGrader, text: str) -> float:
    """One notebook in a new sandboxed interpreter, as a grader without a fork server would."""
    limits = grader.course.limits
    with tempfile.TemporaryDirectory(prefix="coursekit-bench-") as tmp:
        Path(tmp).chmod(0o755)  # the sandbox's uid reads the notebook from here
        notebook, out, job_file = Path(tmp) / "submission.ipynb", Path(tmp) / "out", Path(tmp) / "job.json"
        notebook.write_text(text)
        out.mkdir()
        data = [grader.course.root / "data" / name for name in grader.week.data]
        job = Job(notebook=str(notebook), checks_folder=str(grader.paths.autograder), out=str(out),
                  cell_timeout_s=limits.cell_timeout_s, check_timeout_s=limits.check_timeout_s, seed=grader.course.seed)
        job_file.write_text(json.dumps(asdict(job)))
        sandbox = choose(limits, cpu_s=limits.notebook_timeout_s)
        argv = sandbox.command([sys.executable, "-m", "coursekit.engine.runner", str(job_file)], workdir=Path(tmp),
                               readable=[Path(tmp), grader.paths.autograder, *data], writable=[out])
        start = time.perf_counter()
        subprocess.run(argv, cwd=tmp, stdin=subprocess.DEVNULL, capture_output=True, timeout=limits.notebook_timeout_s,
                       preexec_fn=sandbox.preexec(), check=False)
        seconds = time.perf_counter() - start
        assert (out / "outputs").is_dir(), "the runner wrote no outputs"  # a real run, not a failed start
        return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("week")
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    course = load_course()
    grader = WeekGrader.load(course, course.week(args.week))
    texts = [prepare(p, grader.graded, grader.signatures) for p in args.notebooks]
    times: dict[str, list[float]] = {"fresh interpreter": [], "fork server": []}
    with grader.server() as server:
        start = time.perf_counter()
        server.start()
        print(f"zygote start-up: {time.perf_counter() - start:.2f} s ({server.sandbox.name})")
        for _ in range(args.repeat):
            for prepared in texts:
                times["fresh interpreter"].append(fresh(grader, prepared.text))
                start = time.perf_counter()
                server.run(prepared.text, cells=prepared.cells)
                times["fork server"].append(time.perf_counter() - start)
    for way, seconds in times.items():
        print(f"{way:18s} median {statistics.median(seconds):.3f} s per notebook over {len(seconds)} runs "
              f"(min {min(seconds):.3f}, max {max(seconds):.3f})")


if __name__ == "__main__":
    main()
