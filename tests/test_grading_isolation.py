"""Grading isolation: while one function's checks run, every other graded name is the answer key's,
so a learner's bug costs the points of that function only, as `validate` measures for catalogued
mistakes (cross_function_loss 0); and learner code under test never reaches the key's version of the
function it must write."""

from __future__ import annotations

from pathlib import Path

import pytest

from coursekit import notebook
from coursekit.checks import Check, load_checks
from coursekit.config import load_course
from coursekit.engine.runner import Isolation
from coursekit.grading.bundle import answer_key
from coursekit.grading.grade import grade_notebook
from coursekit.grading.week import WeekGrader

ROOT = Path(__file__).parents[1]
WEEK = "week06_transformer"

KEY = {
    "double": "def double(x):\n    return 2 * x\n",
    "quadruple": "def quadruple(x):\n    return double(double(x))\n",
}


def _check(function: str) -> Check:
    return Check(f"{function}_check", function, lambda ns: {"output": 0})


def test_each_function_runs_with_the_keys_other_definitions_and_its_own_learner_version():
    learner = {"__name__": "__main__"}
    exec("def double(x):\n    return 3 * x\n\ndef quadruple(x):\n    return x * 5\n", learner)
    own_double, own_quadruple = learner["double"], learner["quadruple"]
    isolation = Isolation.from_sources(dict(learner), KEY, {"double", "quadruple"})

    with isolation.around(learner, _check("double")):  # the key's quadruple calls the learner's double
        assert learner["double"] is own_double
        assert learner["quadruple"](1) == 9
    with isolation.around(learner, _check("quadruple")):  # the learner's quadruple sees the key's double...
        assert learner["quadruple"] is own_quadruple
        assert learner["double"](1) == 2
        # ... whose namespace holds the learner's quadruple, never the key's
        assert learner["double"].__globals__["quadruple"] is own_quadruple
    assert learner["double"] is own_double and learner["quadruple"] is own_quadruple  # put back


def test_integration_checks_run_the_learners_code_alone():
    learner = {}
    exec("def double(x):\n    return 3 * x\n\ndef quadruple(x):\n    return x * 5\n", learner)
    isolation = Isolation.from_sources(dict(learner), KEY, {"double", "quadruple"})
    check = Check("whole", "quadruple", lambda ns: {"output": 0}, integration=True)
    with isolation.around(learner, check):
        assert learner["double"](1) == 3


def test_the_answer_key_holds_only_the_graded_definitions():
    course = load_course(ROOT)
    paths = course.paths(course.week(WEEK))
    key = answer_key(course, paths)
    assert set(key) == load_checks(paths.autograder).graded
    for name, source in key.items():
        assert notebook.defined_names(source) == [name]


def _with(code: str, function: str, dest: Path) -> Path:
    """The week's solution notebook with `code` redefining `function` right after its cell."""
    course = load_course(ROOT)
    nb = notebook.read(course.paths(course.week(WEEK)).source)
    for cell in nb.cells:
        if cell.cell_type == "code" and function in notebook.defined_names(cell.source):
            cell.source += "\n\n" + code
            break
    notebook.write(nb, dest)
    return dest


@pytest.fixture(scope="module")
def week06():
    course = load_course(ROOT)
    week = course.week(WEEK)
    grader = WeekGrader.load(course, week)
    with grader.server() as server:
        yield course, week, grader, server


def _lost(result) -> dict[str, float]:
    lost: dict[str, float] = {}
    for check in result.checks:
        if not check.passed:
            lost[check.check.function] = lost.get(check.check.function, 0) + check.check.points - check.score
    return lost


@pytest.mark.week06
@pytest.mark.slow
@pytest.mark.parametrize("mistake", ["attention_no_scaling", "causal_mask_off_by_one", "layernorm_unbiased_variance"])
def test_an_upstream_bug_costs_only_its_own_functions_points_when_graded(week06, mistake, tmp_path):
    course, week, grader, server = week06
    entry = next(m for m in grader.checks.mistakes if m.name == mistake)
    result = grade_notebook(course, week, _with(entry.code, entry.function, tmp_path / "sub.ipynb"), tmp_path / "out",
                            grader=grader, server=server)
    lost = _lost(result)
    assert set(lost) == {entry.function}, lost
    assert not result.problems, result.problems


DELEGATES = """
class EncoderBlock(nn.Module):
    def __init__(self, d_model: int, n_heads: int, d_ff: int):
        super().__init__()
        self.key = MultiHeadAttention.forward.__globals__["EncoderBlock"]  # the key's, if isolation leaked it
        inner = self.key(d_model, n_heads, d_ff)
        self.ln1, self.attn, self.ln2, self.mlp = inner.ln1, inner.attn, inner.ln2, inner.mlp

    def forward(self, x, src_mask=None):
        return self.key.forward(self, x, src_mask)
"""


@pytest.mark.week06
@pytest.mark.slow
def test_code_under_test_cannot_reach_the_keys_version_of_itself(week06, tmp_path):
    course, week, grader, server = week06
    result = grade_notebook(course, week, _with(DELEGATES, "EncoderBlock", tmp_path / "sub.ipynb"), tmp_path / "out",
                            grader=grader, server=server)
    block = [c for c in result.checks if c.check.function == "EncoderBlock"]
    assert block and not any(c.passed for c in block), [c.check.name for c in block if c.passed]
    assert set(_lost(result)) == {"EncoderBlock"}
