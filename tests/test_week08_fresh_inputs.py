"""Week 8, fresh inputs: a notebook that memorises the release (each public probe's inputs -> its shipped
expected outputs) passes those checks on the public inputs, and earns nothing when graded.

Tabulated: every public check of the graded functions get_batch, causal_lm_loss, mask_tokens,
masked_lm_loss, sample_next_token, generate, cosine_lr, count_parameters and flops_per_token (their
probes pass tensors, sizes, configurations, seeded generators and the toy ContextModel, all keyed below).
Not tabulated: the module checks (GPT, BERT) and train_step, whose results are the state of a model the
lookup would have to rebuild; the KV cache's functions, which are probed with a GPT; and the BPE
functions, whose lists and strings the probes check before keeping them. In the notebook they stay the
release's stubs, which raise NotImplementedError.
"""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from nbformat.v4 import new_code_cell

from coursekit import notebook
from coursekit.arrays import load_npz
from coursekit.checks import load_checks
from coursekit.config import load_course
from coursekit.grading.batch import grade_batch
from coursekit.probing import set_input_seed
from coursekit.selfcheck import check_notebook

pytestmark = [pytest.mark.week08, pytest.mark.slow]

WEEK = "week08_bert_gpt"
TABULATED = ("get_batch", "causal_lm_loss", "mask_tokens", "masked_lm_loss", "sample_next_token", "generate",
             "cosine_lr", "count_parameters", "flops_per_token")
ARITY = {"get_batch": 2, "mask_tokens": 2}  # the docstrings' tuples; every other function returns one value

# The key of a call, shared by the recorder here and the lookups in the notebook: the function's name and
# its bound arguments (tensors by dtype and values, generators by seed, modules by class and settings).
KEYING = """
import hashlib
import json

import torch


def _plain(value):
    if isinstance(value, torch.Tensor):
        return ("tensor", str(value.dtype), value.tolist())
    if isinstance(value, torch.Generator):
        return ("generator", value.initial_seed())
    if isinstance(value, torch.nn.Module):
        settings = sorted((k, v) for k, v in vars(value).items()
                          if not k.startswith("_") and isinstance(v, int | float))
        return ("module", type(value).__name__, settings)
    if isinstance(value, list | tuple):
        return (type(value).__name__, [_plain(v) for v in value])
    return value


def _key(name, bound):
    return hashlib.sha256(repr((name, [(k, _plain(v)) for k, v in bound.items()])).encode()).hexdigest()
"""

LOOKUP = KEYING + """

def _lookup(name, bound):
    outputs = [torch.tensor(value, dtype=getattr(torch, dtype)) for dtype, value in TABLE[_key(name, bound)]]
    return outputs[0] if len(outputs) == 1 else tuple(outputs)
"""


def as_lookups(source: str) -> str:
    """A release cell with each tabulated function's body replaced by a lookup of its bound arguments
    (signatures kept, so the grader's static checks accept them); the module and train_step stubs, which
    raise NotImplementedError, are left as released."""
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in TABULATED:
            node.body = ast.parse(f"return _lookup({node.name!r}, dict(locals()))").body
    return ast.unparse(tree)


SENTINEL = 1e12  # a recorded call's outputs stand in as floats SENTINEL + 1000 * call + position


class Tag(float):
    """One output of one recorded call; a float, so probes that convert outputs (float(lr)) keep the tag."""

    def __new__(cls, call: int, position: int) -> Tag:
        return super().__new__(cls, SENTINEL + 1000 * call + position)


def _tag(value) -> tuple[int, int] | None:
    if isinstance(value, float) and value >= SENTINEL:
        call, position = divmod(int(value - SENTINEL), 1000)
        return call, position
    return None


def recorders(cells: list[str], calls: list[str]) -> dict:
    """The tabulated functions with the release's signatures, recording each call's key in `calls` and
    returning tags in place of outputs."""
    keying: dict = {}
    exec(KEYING, keying)  # noqa: S102 - the test's own source, run as the notebook will

    def record(name, bound):
        calls.append(keying["_key"](name, bound))
        tags = tuple(Tag(len(calls) - 1, p) for p in range(ARITY.get(name, 1)))
        return tags if len(tags) > 1 else tags[0]

    defs = [node for source in cells for node in ast.parse(as_lookups(source)).body
            if isinstance(node, ast.FunctionDef) and node.name in TABULATED]
    future = ast.parse("from __future__ import annotations").body
    namespace = {"torch": torch, "nn": torch.nn, "_lookup": record}
    exec(compile(ast.Module(body=future + defs, type_ignores=[]), "<release>", "exec"), namespace)  # noqa: S102
    return {name: namespace[name] for name in TABULATED}


def tabulate(release_checks: Path, cells: list[str]) -> tuple[dict, set[str]]:
    """What a mentee can build from the release alone: {call key: [(dtype, output)]}, and the checks covered."""
    expected = load_npz(release_checks / "expected.npz")
    table, covered = {}, set()
    set_input_seed(0)  # the public inputs, as check() and the released expected outputs use
    for check in load_checks(release_checks, hidden=False).checks:
        if check.function not in TABULATED:
            continue
        calls: list[str] = []
        raw = check.probe(recorders(cells, calls))
        outputs: dict[int, dict[int, np.ndarray]] = {}
        for name, value in raw.items():
            values = value if isinstance(value, list) else [value]
            for i, item in enumerate(values):
                if (tag := _tag(item)) is not None:
                    shipped = expected[f"{check.name}/{name}"]
                    outputs.setdefault(tag[0], {})[tag[1]] = shipped[i] if isinstance(value, list) else shipped
        for call, by_position in outputs.items():
            arrays = [np.asarray(by_position[p]) for p in range(len(by_position))]
            table[calls[call]] = [(str(a.dtype), a.tolist()) for a in arrays]
        if outputs:
            covered.add(check.name)
    return table, covered


def test_a_tabulating_notebook_passes_the_public_checks_but_earns_nothing_when_graded(tmp_path):
    course = load_course(Path(__file__).parents[1])
    week = course.week(WEEK)
    paths = course.paths(week)
    release = tmp_path / "release"  # a mentee's copy of the release: checks/, data/ and the notebook
    shutil.copytree(paths.release_dir, release)

    nb = notebook.read(release / paths.release.name)
    graded = [i for i, c in enumerate(nb.cells)
              if c.cell_type == "code" and set(TABULATED) & set(notebook.defined_names(c.source))]
    table, covered = tabulate(release / "checks", [nb.cells[i].source for i in graded])
    public = {c.name: c.function for c in load_checks(release / "checks", hidden=False).checks}
    assert covered == {name for name, function in public.items() if function in TABULATED}

    for i in graded:
        nb.cells[i].source = as_lookups(nb.cells[i].source)
    table_cell = "import json\n\nTABLE = json.loads(" + repr(json.dumps(table)) + ")\n"
    nb.cells[1:1] = [new_code_cell(table_cell), new_code_cell(LOOKUP)]  # a cell of its own: too large to analyse
    submission = release / "tabulated.ipynb"
    notebook.write(nb, submission)

    # the tabulation is real: on the public inputs (check(), input seed 0) the lookups pass every covered check
    local = {r.check.name: r for r in check_notebook(submission).results}
    failing = {name: local[name].error for name in covered if not local[name].passed}
    assert not failing, failing

    # graded on fresh inputs, the same lookups earn nothing
    (row,) = grade_batch(course, week, [submission], tmp_path / "out", workers=1, progress=False)
    assert row.row["earned"] == 0, row.row
    # ... because their inputs are fresh: the lookups were found, with the release's signatures, and ran
    unseen = [p for p in row.row["problems"] if any(f"`{name}" in p for name in TABULATED)]
    assert not unseen, unseen
