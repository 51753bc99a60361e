"""One batch, every class of attack (issue 19), honest notebooks among them: no honest score moves.

Thirty submissions: honest notebooks (correct, one catalogued mistake, blank) spread through the
batch, and one or more attacks of each class: 1 lowering the server's limits, 2 malformed files,
3 patched probes, 4 early hidden checks and a chosen exit code, 5 colliding names, 6 a cell too
large to analyse, 7 markup in errors, 8 a fork bomb, 9 namespace escapes. Graded twice (the
second time with --force), and each honest kind alone: every honest submission scores exactly
what it scores alone, on both runs; no attack earns more than its honest part; gradebook.csv
lists everyone.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from adversarial import make_submissions
from conftest import released_with_small_limits
from nbformat.v4 import new_code_cell

from coursekit import notebook
from coursekit.engine.sandbox import bubblewrap_works
from coursekit.grading.batch import grade_batch
from coursekit.grading.submissions import safe_id

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not bubblewrap_works(), reason="needs a working bubblewrap (apt install bubblewrap)")]

HONEST = ("correct", "one_mistake", "blank")
ATTACKS = ("lower_server_limits", "patch_probes", "early_hidden", "chosen_exit_code", "markup_error", "fork_bomb",
           "escape_namespace", "patch_allclose", "kill_grader")
# what each attack's answers are worth without the attack: the honest kind it is built on
HONEST_PART = {"patch_probes": "blank", "patch_allclose": "one_mistake"}


def _write_malformed(folder: Path) -> list[str]:
    """Class 2: files that are notebooks only in name."""
    deep = '{"cells": ' + "[" * 5000 + "]" * 5000 + ', "nbformat": 4}'
    files = {
        "deep_json": deep,
        "huge_integer": '{"cells": [], "nbformat": 4, "metadata": {"n": ' + "9" * 5000 + "}}",
        "list_metadata": json.dumps({"cells": [{"cell_type": "code", "metadata": [1, 2], "source": [1, 2]}],
                                     "nbformat": 4}),
    }
    for name, text in files.items():
        (folder / f"{name}.ipynb").write_text(text)
    return list(files)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("attack_batch") / "course"
    course = released_with_small_limits(root)
    week = course.weeks[0]
    made = root.parent / "made"
    make_submissions.make(course, week, made)
    name = course.paths(week).notebook_name
    subs = root.parent / "submissions"
    subs.mkdir()
    kinds: dict[str, str] = {}
    order = [*ATTACKS]
    for index in range(14):  # honest notebooks between the attacks, so later ones share a worker with them
        order.insert(min(len(order), 1 + index), f"honest_{index:02d}")
    for student in order:
        kind = HONEST[int(student[-2:]) % 3] if student.startswith("honest_") else student
        shutil.copyfile(made / kind / name, subs / f"{student}.ipynb")
        kinds[student] = kind
    for student in ("müller", "mäller", "gradebook.db-journal"):  # class 5: names that collided
        shutil.copyfile(made / "correct" / name, subs / f"{student}.ipynb")
        kinds[safe_id(student)] = "correct"
    huge = notebook.read(made / "correct" / name)  # class 6: a cell far over the analysis cap
    huge.cells.append(new_code_cell("x = 1\n" * 60_000))
    notebook.write(huge, subs / "huge_cell.ipynb")
    kinds["huge_cell"] = "correct"
    for student in _write_malformed(subs):
        kinds[student] = "malformed"
    runs = []
    for attempt in range(2):
        rows = grade_batch(course, week, [subs], root.parent / "out", workers=2, force=attempt > 0, progress=False)
        runs.append({r.student: r for r in rows})
    alone = {}
    for kind in HONEST:
        (row,) = grade_batch(course, week, [made / kind / name], root.parent / f"alone_{kind}", workers=1,
                             progress=False)
        alone[kind] = row.row["earned"]
    return {"runs": runs, "alone": alone, "kinds": kinds, "out": root.parent / "out", "subs": subs}


def test_thirty_submissions_every_class_of_attack(batch):
    assert len(batch["kinds"]) >= 30
    assert set(batch["runs"][0]) == set(batch["runs"][1]) and len(batch["runs"][0]) == len(batch["kinds"])


def test_honest_submissions_score_what_they_score_alone_on_every_run(batch):
    for run in batch["runs"]:
        for student, kind in batch["kinds"].items():
            if kind in HONEST:
                assert run[student].row is not None, (student, run[student].error)
                assert run[student].row["earned"] == batch["alone"][kind], (student, run[student].row["problems"])


def test_no_attack_earns_more_than_its_honest_part(batch):
    for run in batch["runs"]:
        for student, kind in batch["kinds"].items():
            if kind in HONEST:
                continue
            row = run[student].row
            earned = 0 if row is None else row["earned"]
            honest = batch["alone"][HONEST_PART.get(kind, "correct")]
            assert earned <= honest, (student, row and row["problems"])
            if kind == "malformed":
                assert earned == 0


def test_names_stay_distinct_and_the_gradebook_lists_everyone(batch):
    with open(batch["out"] / "gradebook.csv") as handle:
        students = {r["student"] for r in csv.DictReader(handle)}
    assert {"müller", "mäller"} <= students and len(students) == len([k for k in batch["kinds"]])
    assert (batch["out"] / "gradebook.db").is_file() and not (batch["out"] / "gradebook.db-journal").is_dir()


def test_feedback_carries_no_number_the_learner_chose(batch):
    feedback = next(p for p in batch["out"].glob("chosen_exit_code/feedback.md"))
    assert "123" not in feedback.read_text()


def test_no_escape_from_the_sandbox_was_possible(batch):
    for path in batch["out"].rglob("*"):
        if path.is_file():
            assert make_submissions.LEAK not in path.read_bytes().decode("utf-8", errors="replace"), path
