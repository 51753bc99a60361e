import json
import shutil

import numpy as np
import pytest

from coursekit import notebook
from coursekit.arrays import load_npz
from coursekit.authoring.release import release_week
from coursekit.config import load_course
from coursekit.errors import NotebookError

WEEK = "week01_mini"


def test_student_notebook_keeps_signatures_and_drops_answers(released_minicourse):
    nb = notebook.read(released_minicourse / "release" / WEEK / "mini.ipynb")
    sources = [c.source for c in nb.cells]
    softmax = next(s for s in sources if s.startswith("def softmax"))
    assert softmax.splitlines() == [
        "def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:",
        '    """Numerically stable softmax along `dim`."""',
        "    raise NotImplementedError",
    ]
    text = "\n".join(sources)
    assert "BEGIN SOLUTION" not in text and "tril()" not in text
    assert "reference-only plot" not in text  # solution-only cell dropped
    assert any("train" in notebook.tags(c) for c in nb.cells)  # train cell kept, tagged
    assert all(c.outputs == [] for c in nb.cells if c.cell_type == "code")


def test_answer_key_has_solutions_without_markers(released_minicourse):
    key = notebook.read(released_minicourse / "solutions" / WEEK / "mini.ipynb")
    text = "\n".join(c.source for c in key.cells)
    assert "tril()" in text and "BEGIN SOLUTION" not in text and "END SOLUTION" not in text


def test_checks_folder_ships_public_outputs_only(released_minicourse):
    folder = released_minicourse / "release" / WEEK / "checks"
    assert sorted(p.name for p in folder.iterdir()) == ["expected.npz", "manifest.json", "mistakes.npz", "public.py"]
    expected = load_npz(folder / "expected.npz")
    assert {k.split("/")[0] for k in expected} == {"softmax_rows", "causal_mask_4"}
    assert np.allclose(expected["softmax_rows/y"].sum(-1), 1)
    mistakes = load_npz(folder / "mistakes.npz")
    assert {k.split("/")[1] for k in mistakes} <= {"softmax_rows", "causal_mask_4"}
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["mistakes"]["causal_mask_off_by_one"].startswith("a position must")
    assert (released_minicourse / "release" / WEEK / "data" / "mini" / "numbers.txt").is_file()


def test_release_is_reproducible(minicourse):
    before = {p.relative_to(minicourse): p.read_bytes() for p in (minicourse / "release").rglob("*") if p.is_file()}
    course = load_course(minicourse)
    shutil.rmtree(minicourse / "autograder" / WEEK / ".cache")  # recompute the reference too
    release_week(course, course.weeks[0])
    after = {p.relative_to(minicourse): p.read_bytes() for p in (minicourse / "release").rglob("*") if p.is_file()}
    assert before == after


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def f():\n    ### BEGIN SOLUTION\n    return 1\n", "cell 2 line 2: ### BEGIN SOLUTION is never closed"),
        ("def f():\n    return 1\n    ### END SOLUTION\n", "cell 2 line 3: ### END SOLUTION without"),
        ("def f():\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n", "cell 2 line 3: nested"),
    ],
)
def test_malformed_markers_are_one_line_errors(minicourse, source, message):
    path = minicourse / "source" / WEEK / "mini.ipynb"
    nb = notebook.read(path)
    nb.cells[2].source = source
    notebook.write(nb, path)
    course = load_course(minicourse)
    with pytest.raises(NotebookError, match=message) as info:
        release_week(course, course.weeks[0])
    assert str(path) in str(info.value)


def test_a_release_is_current_until_what_it_is_built_from_changes(minicourse):
    from coursekit.authoring.release import is_current
    from coursekit.reference import fingerprint

    course = load_course(minicourse)
    week = course.week(WEEK)
    assert is_current(course, week)
    manifest = (minicourse / "release" / WEEK / "checks" / "manifest.json").read_text()
    assert fingerprint(course.paths(week), course) not in manifest  # the grading seed is derived from it
    hidden = minicourse / "autograder" / WEEK / "hidden.py"
    hidden.write_text(hidden.read_text() + "\n# edited\n")
    assert not is_current(course, week)
