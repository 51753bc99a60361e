"""Synthetic submissions of a week, for demos, tests and benchmarks.

Built from the week's release notebook (what a mentee starts from) and answer key: the
reference, the blank release, partial answers, each catalogued mistake, and a few adversarial
notebooks that attack the grader from inside. Every sample is a release notebook whose answer
cells were filled in, so the cell layout is the one a mentee would hand in.

    python -m coursekit.authoring.samples WEEK DEST [--count N] [--seed S] [--mistakes M] [--attacks a,b]
"""

from __future__ import annotations

import argparse
import copy
import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path

from nbformat import NotebookNode
from nbformat.v4 import new_code_cell

from coursekit import notebook
from coursekit.authoring.release import build_notebooks
from coursekit.checks import Mistake, load_checks
from coursekit.config import Course, Week, WeekPaths, load_course
from coursekit.errors import NotebookError

INDEX = "samples.json"  # what each sample is, next to the samples


@dataclass(frozen=True)
class Sample:
    student: str  # folder name under DEST, used as the student's name
    kind: str  # "reference", "blank", "partial", "mistake" or "adversarial"
    detail: str  # the mistake, the attack, or the functions left blank
    honest: bool  # an ordinary attempt: every grader should score it the same
    path: str  # relative to DEST


# Attacks that fooled nbgrader 0.9.6 or otter 7.0.0, which run their tests in the learner's own
# kernel. Each is a cell added before the answers; `wrong` says whether the first catalogued
# mistake goes in too (so a grader that is fooled gives marks the work does not deserve).
ATTACKS: dict[str, tuple[bool, str]] = {
    "patch_allclose": (True, (
        "import numpy as np, torch\n"
        "np.allclose = lambda *a, **k: True\n"
        "np.testing.assert_allclose = lambda *a, **k: None\n"
        "torch.allclose = lambda *a, **k: True\n"
        "torch.testing.assert_close = lambda *a, **k: None")),
    "exit_early": (False, "import os\nos._exit(0)"),
    "read_tests": (False, (
        "import glob\n"
        "for _p in glob.glob('**/*.py', recursive=True) + glob.glob('/autograder/**/*.py', recursive=True):\n"
        "    print(_p, open(_p).read()[:2000])")),
    "infinite_loop": (False, ""),  # no cell: the first graded function's body loops (see _hang)
}


@dataclass
class Parts:
    """The release and the answers aligned cell by cell."""

    release: NotebookNode
    answers: dict[int, str]  # release cell index -> the key's source for that cell
    functions: dict[int, list[str]]  # release cell index -> graded names it defines


def parts(paths: WeekPaths) -> Parts:
    """The release notebook and, for each stubbed cell, the answer key's source."""
    built = build_notebooks(paths)
    key_cells = [c for c in built.key.cells if notebook.SOLUTION_ONLY not in notebook.tags(c)]
    if len(key_cells) != len(built.student.cells):
        raise NotebookError(f"{paths.source}: release and key cells do not line up; rerun `coursekit release`")
    answers, functions = {}, {}
    for index, (stub, key) in enumerate(zip(built.student.cells, key_cells, strict=True)):
        if stub.cell_type == "code" and stub.source != key.source:
            answers[index] = key.source
            functions[index] = notebook.defined_names(key.source)
    return Parts(built.student, answers, functions)


def _fill(p: Parts, answered: set[int], extra: dict[int, str] | None = None) -> NotebookNode:
    nb = copy.deepcopy(p.release)
    for index in answered:
        nb.cells[index].source = p.answers[index]
    for index, code in (extra or {}).items():
        nb.cells[index].source += "\n\n\n" + code.strip("\n") + "\n"
    return nb


def _cell_of(p: Parts, function: str) -> int:
    for index, names in p.functions.items():
        if function in names:
            return index
    raise NotebookError(f"no answer cell defines `{function}`")


def _hang(source: str) -> str:
    """The stub's `raise NotImplementedError` replaced by an endless loop, at its indentation."""
    lines = source.split("\n")
    for number, line in enumerate(lines):
        if line.strip().startswith("raise NotImplementedError"):
            indent = line[: len(line) - len(line.lstrip())]
            lines[number] = f"{indent}while True:\n{indent}    pass"
            break
    return "\n".join(lines)


def _with_attack(p: Parts, nb: NotebookNode, code: str) -> NotebookNode:
    """`code` in a cell of its own before the first answer, so it runs before any inline test."""
    nb.cells.insert(min(p.answers), new_code_cell(code))
    return nb


def spread(mistakes: tuple[Mistake, ...], limit: int | None) -> list[Mistake]:
    """Up to `limit` mistakes, taking each function's first, then each one's second, and so on."""
    by_function: dict[str, list[Mistake]] = {}
    for mistake in mistakes:
        by_function.setdefault(mistake.function, []).append(mistake)
    rounds: list[Mistake] = []
    for depth in range(max(map(len, by_function.values()), default=0)):
        rounds += [ms[depth] for ms in by_function.values() if depth < len(ms)]
    return rounds if limit is None else rounds[:limit]


def make_samples(course: Course, week: Week, dest: Path, count: int = 24, *, seed: int = 0,
                 attacks: tuple[str, ...] = tuple(ATTACKS), mistakes: int | None = None) -> list[Sample]:
    """Write `count` (at least) sample submissions under `dest/<student>/<notebook>`; returns them.

    `attacks` names the adversarial samples (keys of ATTACKS); `mistakes` caps how many catalogued
    mistakes get a sample (spread over the functions; None: all).
    """
    unknown = sorted(set(attacks) - set(ATTACKS))
    if unknown:
        raise ValueError(f"unknown attacks {unknown}; known: {', '.join(ATTACKS)}")
    paths = course.paths(week)
    p = parts(paths)
    catalogue = load_checks(paths.autograder).mistakes
    chosen = spread(catalogue, mistakes)
    rng = random.Random(seed)
    every = set(p.answers)
    made: list[tuple[str, str, bool, NotebookNode]] = [
        ("reference", "", True, _fill(p, every)),
        ("blank", "", True, _fill(p, set())),
    ]
    for mistake in chosen:
        cell = _cell_of(p, mistake.function)
        made.append(("mistake", mistake.name, True, _fill(p, every, {cell: mistake.code})))
    first = catalogue[0] if catalogue else None
    for name in attacks:
        wrong, code = ATTACKS[name]
        extra = {_cell_of(p, first.function): first.code} if wrong and first else None
        if name == "infinite_loop":  # inside a graded function, so the check (not a cell) hangs
            cell = min(p.answers)
            nb = _fill(p, every - {cell})
            nb.cells[cell].source = _hang(nb.cells[cell].source)
        else:
            nb = _with_attack(p, _fill(p, every, extra), code)
        made.append(("adversarial", name, False, nb))
    cells = sorted(p.answers)
    while len(made) < count:  # partial attempts: a random nonempty, proper subset answered
        k = rng.randint(1, max(1, len(cells) - 1))
        answered = set(rng.sample(cells, k)) if len(cells) > 1 else set()
        blank = sorted(n for i in every - answered for n in p.functions[i])
        made.append(("partial", "blank: " + ", ".join(blank), True, _fill(p, answered)))

    dest.mkdir(parents=True, exist_ok=True)
    samples = []
    for number, (kind, detail, honest, nb) in enumerate(made):
        tag = detail if kind in ("mistake", "adversarial") else ""
        student = f"s{number:03d}_{kind}" + (f"_{tag}" if tag else "")
        path = dest / student / paths.notebook_name
        notebook.write(nb, path)
        samples.append(Sample(student, kind, detail, honest, str(path.relative_to(dest))))
    (dest / INDEX).write_text(json.dumps([asdict(s) for s in samples], indent=1) + "\n")
    return samples


def read_index(dest: Path) -> list[Sample]:
    return [Sample(**s) for s in json.loads((dest / INDEX).read_text())]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m coursekit.authoring.samples", description=__doc__.split("\n")[0])
    parser.add_argument("week")
    parser.add_argument("dest", type=Path)
    parser.add_argument("--count", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mistakes", type=int, help="at most this many mistakes (default: all)")
    parser.add_argument("--attacks", default=",".join(ATTACKS), help="comma-separated; '' for none")
    args = parser.parse_args(argv)
    course = load_course()
    samples = make_samples(course, course.week(args.week), args.dest, args.count, seed=args.seed,
                           attacks=tuple(a for a in args.attacks.split(",") if a), mistakes=args.mistakes)
    for s in samples:
        print(f"{s.student:50s} {s.kind:12s} {s.detail}")


if __name__ == "__main__":
    main()
