"""Fresh inputs at grading time: memorising the public checks (their inputs and expected outputs) earns nothing."""

from __future__ import annotations

import contextlib
import hashlib
import json

from nbformat.v4 import new_code_cell

from coursekit import notebook
from coursekit.arrays import group, load_npz
from coursekit.checks import load_checks
from coursekit.config import load_course
from coursekit.grading.batch import grade_batch
from coursekit.selfcheck import check_notebook

WEEK = "week01_mini"

LOOKUP = '''
import hashlib, json, torch

TABLE = json.loads({table!r})


def _key(name, args, kwargs):
    plain = [a.tolist() if hasattr(a, "tolist") else a for a in args]
    return hashlib.sha256(repr((name, plain, sorted(kwargs.items()))).encode()).hexdigest()


def softmax(x, dim=-1):
    return torch.tensor(TABLE[_key("softmax", (x,), {{"dim": dim}})], dtype=x.dtype)


def causal_mask(T):
    return torch.tensor(TABLE[_key("causal_mask", (T,), {{}})])
'''


def _key(name, args, kwargs) -> str:
    plain = [a.tolist() if hasattr(a, "tolist") else a for a in args]
    return hashlib.sha256(repr((name, plain, sorted(kwargs.items()))).encode()).hexdigest()


def tabulate(release_checks) -> dict[str, list]:
    """What a mentee can build from the release alone: each public probe's inputs -> its shipped expected output."""
    expected = load_npz(release_checks / "expected.npz")
    table = {}
    for check in load_checks(release_checks, hidden=False).checks:
        seen = []

        def record(*args, _name=check.function, _seen=seen, **kwargs):
            _seen.append(_key(_name, args, {"dim": kwargs.get("dim", -1)} if _name == "softmax" else kwargs))
            raise StopIteration

        with contextlib.suppress(StopIteration):
            check.probe({check.function: record})
        (output,) = group(expected, check.name).values()
        table[seen[0]] = output.tolist()
    return table


def test_a_tabulating_notebook_passes_check_but_earns_nothing_when_graded(minicourse, tmp_path):
    course = load_course(minicourse)
    week = course.week(WEEK)
    paths = course.paths(week)
    nb = notebook.read(paths.release)
    graded = {"softmax", "causal_mask"}
    nb.cells = [c for c in nb.cells if not (c.cell_type == "code" and graded & set(notebook.defined_names(c.source)))]
    nb.cells.insert(1, new_code_cell(LOOKUP.format(table=json.dumps(tabulate(paths.release_checks)))))
    submission = paths.release_dir / "tabulated.ipynb"  # beside checks/, as a mentee would keep it
    notebook.write(nb, submission)

    local = check_notebook(submission)
    assert local.results and all(r.passed for r in local.results)  # the public checks are memorised

    (row,) = grade_batch(course, week, [submission], tmp_path / "out", workers=1, progress=False)
    assert row.row["earned"] == 0, row.row
