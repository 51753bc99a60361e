"""Grading holds against submissions that attack it (tests/adversarial/make_submissions.py).

Each submission must score exactly what its answers earn (computed here from the reference's
own outputs for each catalogued mistake), say clearly what happened, leak nothing hidden into
any output, and finish within the notebook limit.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import time
from pathlib import Path

import pytest
from conftest import released_with_small_limits

from coursekit.checks import load_checks
from coursekit.compare import matches
from coursekit.engine.sandbox import bubblewrap_works
from coursekit.grading.batch import grade_batch
from coursekit.grading.week import WeekGrader

pytestmark = pytest.mark.skipif(not bubblewrap_works(), reason="needs a working bubblewrap (apt install bubblewrap)")

SLACK_S = 20  # over the notebook limit: starting a fresh sandbox after a submission killed one
HIDDEN_LINE = re.compile(  # the only lines a hidden check may show: fixed words and the catalogue's hints
    r"^(✓|✗) [\w.-]+ \[[\d.]+/[\d.]+\]$"
    r"|^    (not implemented yet|timed out|your code raised \w+|your code could not be run on this check; see the "
    r"public checks of the same function|[\w.-]+: (wrong values|wrong shape|wrong dtype \(yours: \w+\)|"
    r"missing from the outputs)|an output that is not expected|hint: .+  \[known mistake: [\w.-]+\])$")


def _load_generator():
    spec = importlib.util.spec_from_file_location("make_submissions", Path(__file__).parent / "adversarial" /
                                                  "make_submissions.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


make_submissions = _load_generator()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The mini course with small limits, its adversarial submissions, all graded in one batch."""
    root = tmp_path_factory.mktemp("adversarial") / "course"
    course = released_with_small_limits(root)
    week = course.weeks[0]
    subs, out = root.parent / "submissions", root.parent / "out"
    adversaries = make_submissions.make(course, week, subs, out_guesses=[str(out / "correct" / "results.json")])
    start = time.monotonic()
    rows = [r.row for r in grade_batch(course, week, [subs], out, workers=2, progress=False)]
    return {"course": course, "week": week, "out": out, "adversaries": {a.name: a for a in adversaries},
            "rows": {r["student"]: r for r in rows}, "seconds": time.monotonic() - start, "subs": subs}


def expected_points(graded, adversary) -> float:
    """What the submission's answers earn: per check, from the state of its function."""
    course, week = graded["course"], graded["week"]
    paths = course.paths(week)
    checks = load_checks(paths.autograder)
    ref = WeekGrader.load(course, week).ref
    total = 0.0
    for check in checks.checks:
        state = adversary.functions[check.function]
        if state == "correct":
            total += check.points
        elif state != "broken":
            outputs = ref.alternative(state, check.name)
            total += check.points if outputs is not None and matches(check, ref.outputs[check.name], outputs) else 0
    return total


def output_files(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.is_file()]


def _names() -> list[str]:
    text = (Path(__file__).parent / "adversarial" / "make_submissions.py").read_text()
    return re.findall(r'Adversary\("(\w+)"', text)


@pytest.mark.parametrize("name", _names())
def test_attack_scores_what_it_earns(graded, name):
    adversary = graded["adversaries"][name]
    row = graded["rows"][name]
    folder = graded["out"] / name
    results = json.loads((folder / "results.json").read_text())
    feedback = (folder / "feedback.md").read_text()
    want = expected_points(graded, adversary)
    assert row["earned"] == pytest.approx(want), f"{name}: {row['problems']}"
    assert results["score"] == pytest.approx(want * graded["week"].points / row["possible"], abs=1e-3)
    if adversary.says:
        assert adversary.says in feedback and adversary.says in results["output"] + json.dumps(results["tests"])
    assert row["seconds"] <= graded["course"].limits.notebook_timeout_s + SLACK_S
    for test in results["tests"]:
        if test["visibility"] == "after_published":
            for line in test["output"].split("\n"):
                assert HIDDEN_LINE.match(line), f"{name}: hidden check says {line!r}"


def test_nothing_hidden_or_fake_in_any_output(graded):
    """No output file holds what an attack stole or faked, or a line of hidden.py."""
    paths = graded["course"].paths(graded["week"])
    public = set((paths.autograder / "public.py").read_text().splitlines())
    secret = [line.strip() for line in (paths.autograder / "hidden.py").read_text().splitlines()
              if len(line.strip()) >= 16 and line not in public and not line.startswith(("from ", "import "))]
    for path in output_files(graded["out"]):
        text = path.read_bytes().decode("utf-8", errors="replace")
        assert make_submissions.LEAK not in text, path
        assert make_submissions.FAKE not in text, path
        for line in secret:
            assert line not in text, f"{path} holds a line of hidden.py: {line}"


def test_fake_results_did_not_replace_the_real_ones(graded):
    results = json.loads((graded["out"] / "correct" / "results.json").read_text())
    assert results["score"] == pytest.approx(graded["week"].points)
    assert not (graded["subs"].parent / "results.json").exists()


def test_the_batch_stays_within_its_limits(graded):
    rows = graded["rows"].values()
    slowest = max(r["seconds"] for r in rows)
    assert slowest <= graded["course"].limits.notebook_timeout_s + SLACK_S
    # two workers: the batch takes about the sum of its submissions halved, never their worst case summed
    assert graded["seconds"] <= sum(r["seconds"] for r in rows) / 2 + 60


def test_a_submission_cannot_touch_the_next(graded):
    """plant_state leaves files, a SysV segment, keys and a daemon; renice_grader renices and pins the
    zygote; find_state, run after each in the same worker, finds none of it."""
    course, week = graded["course"], graded["week"]
    grader = WeekGrader.load(course, week)
    notebook = course.paths(week).notebook_name
    errors = []
    with grader.server() as server:
        for name in ("plant_state", "find_state", "renice_grader", "find_state"):
            run = server.run((graded["subs"] / name / notebook).read_text())
            errors += [c.get("error", "") for c in run.cells if c.get("status") == "error"]
    assert sum("nothing planted found" in e for e in errors) == 2, errors
    assert not any(make_submissions.LEAK in e for e in errors), errors
