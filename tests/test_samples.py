"""Synthetic submissions: what each kind holds, built from the release and the answer key."""

from __future__ import annotations

import pytest

from coursekit import notebook
from coursekit.authoring.samples import make_samples, parts, read_index, spread
from coursekit.checks import load_checks
from coursekit.config import load_course


@pytest.fixture(scope="module")
def made(released_minicourse, tmp_path_factory):
    course = load_course(released_minicourse)
    dest = tmp_path_factory.mktemp("samples")
    return course, dest, make_samples(course, course.weeks[0], dest, count=14, mistakes=3)


def _code(dest, sample) -> str:
    return "\n".join(c.source for c in notebook.read(dest / sample.path).cells if c.cell_type == "code")


def test_kinds_and_index(made):
    _, dest, samples = made
    kinds = [s.kind for s in samples]
    assert kinds[:2] == ["reference", "blank"] and kinds.count("mistake") == 3 and kinds.count("adversarial") == 4
    assert len(samples) == 14 and kinds.count("partial") == 14 - 9
    assert read_index(dest) == samples
    assert len({s.student for s in samples}) == len(samples)
    assert all((dest / s.student / "mini.ipynb").is_file() for s in samples)
    assert {s.honest for s in samples if s.kind == "adversarial"} == {False}


def test_reference_and_blank(made, released_minicourse):
    course, dest, samples = made
    by_kind = {s.kind: s for s in samples}
    assert "NotImplementedError" not in _code(dest, by_kind["reference"])
    assert _code(dest, by_kind["blank"]).count("raise NotImplementedError") == 2
    release = notebook.read(course.paths(course.weeks[0]).release)
    assert len(notebook.read(dest / by_kind["reference"].path).cells) == len(release.cells)


def test_mistakes_spread_over_functions_and_append_their_code(made):
    course, dest, samples = made
    catalogue = load_checks(course.paths(course.weeks[0]).autograder).mistakes
    mistakes = [s for s in samples if s.kind == "mistake"]
    assert [m.function for m in spread(catalogue, 2)] == ["softmax", "causal_mask"]
    for sample in mistakes:
        (mistake,) = [m for m in catalogue if m.name == sample.detail]
        assert mistake.code.strip() in _code(dest, sample)


def test_attack_cell_comes_before_the_first_answer(made):
    course, dest, samples = made
    first = min(parts(course.paths(course.weeks[0])).answers)
    (patch,) = [s for s in samples if s.detail == "patch_allclose"]
    cells = notebook.read(dest / patch.path).cells
    assert "np.allclose = lambda" in cells[first].source
    (loop,) = [s for s in samples if s.detail == "infinite_loop"]
    assert "while True:\n        pass" in _code(dest, loop)


def test_unknown_attack(released_minicourse, tmp_path):
    course = load_course(released_minicourse)
    with pytest.raises(ValueError, match="unknown attacks"):
        make_samples(course, course.weeks[0], tmp_path, attacks=("nope",))
