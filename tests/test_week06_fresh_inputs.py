"""Week 6 at fresh inputs: a notebook that memorises the release (the inputs its public probes pass
and the shipped expected outputs) passes those checks on the public inputs and earns nothing when
graded, where every size, length and count is drawn fresh (autograder/week06_transformer/public.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from coursekit import notebook
from coursekit.arrays import group, load_npz, to_array
from coursekit.checks import load_checks
from coursekit.compare import compare
from coursekit.config import load_course
from coursekit.grading.batch import grade_batch
from coursekit.probing import drawing_from

pytestmark = [pytest.mark.week06, pytest.mark.slow]

ROOT = Path(__file__).parents[1]
WEEK = "week06_transformer"
FUNCTIONS = {"scaled_dot_product_attention": "q, k, v, mask=None", "causal_mask": "T",
             "padding_mask": "lengths, T", "sinusoidal_positional_encoding": "T, d_model",
             "greedy_decode": "model, src, max_len, bos_id, eos_id, src_lengths=None",
             "apply_rope": "x, positions, base=10000.0"}  # the release's parameters
MODULES = ["LayerNorm", "MultiHeadAttention", "EncoderBlock", "DecoderBlock", "Seq2SeqTransformer"]
RETURNS = {"scaled_dot_product_attention": 2, "MultiHeadAttention": 2}  # values returned; 1 for the others

# The graded names, each by its own def or class statement (as the grader requires), all answering
# through `answer(name, arguments)`: the recorder's when tabulating, the table's in the notebook. A
# call is named by the function (or module and its constructor arguments) and its arguments.
DEFINITIONS = """
import hashlib
import torch
import torch.nn as nn


def plain(value):
    if isinstance(value, torch.Tensor):
        return ("tensor", str(value.dtype), tuple(value.shape), value.tolist())
    if isinstance(value, nn.Module):  # greedy_decode's model: a scripted stand-in or one of these
        return ("module", type(value).__name__, getattr(value, "vocab_size", None), getattr(value, "made", None))
    if isinstance(value, tuple | list):
        return tuple(plain(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, plain(v)) for k, v in value.items()))
    return value


def key(name, arguments):
    return hashlib.sha256(repr((name, plain(arguments))).encode()).hexdigest()


class Lookup(nn.Module):
    def __init__(self, *args, **kwargs):
        super().__init__()
        self.made = plain((args, kwargs))
        if type(self).__name__ == "Seq2SeqTransformer":  # the probes write seeded rows into it
            self.register_buffer("pos", torch.zeros(kwargs["max_len"], kwargs["d_model"]))

    def forward(self, *args, **kwargs):
        return answer((type(self).__name__, self.made), (args, kwargs))
"""
for _name, _params in FUNCTIONS.items():
    _names = ", ".join(p.split("=")[0] for p in _params.split(", "))
    DEFINITIONS += f"\n\ndef {_name}({_params}):\n    return answer({_name!r}, ({_names},))\n"
DEFINITIONS += "".join(f"\n\nclass {name}(Lookup):\n    pass\n" for name in MODULES)

LOOKUP = DEFINITIONS + """
import json

TABLE = json.loads({table!r})  # call -> the shipped expected outputs, as [dtype, values] per value returned


def answer(name, arguments):
    values = [torch.tensor(v, dtype=getattr(torch, d)) for d, v in TABLE[key(name, arguments)]]
    return tuple(values) if len(values) > 1 else values[0]
"""


def recorders(calls: list) -> dict:
    """The graded names as stand-ins that note each call and return placeholders of the promised arity."""
    space: dict = {}

    def answer(name, arguments):
        n = RETURNS.get(name if isinstance(name, str) else name[0], 1)
        values = tuple(space["torch"].zeros(1) for _ in range(n))
        calls.append((space["key"](name, arguments), values))
        return values if n > 1 else values[0]

    space["answer"] = answer
    exec(DEFINITIONS, space)  # noqa: S102 - the test's own code
    return space


def tabulate(release_checks: Path) -> dict[str, list]:
    """What a mentee can build from the release alone: each call a public probe makes -> the expected
    outputs shipped for it (a placeholder the probe returned as output `o` is expected.npz's `o`)."""
    expected = load_npz(release_checks / "expected.npz")
    table = {}
    for check in load_checks(release_checks, hidden=False).checks:
        calls: list = []
        outputs = check.probe(recorders(calls))
        shipped = group(expected, check.name)
        where = {id(v): (k, i) for k, values in calls for i, v in enumerate(values)}
        answers: dict = {}
        for name, value in outputs.items():
            if id(value) in where:
                k, i = where[id(value)]
                answers.setdefault(k, {})[i] = shipped[name]
        for k, values in answers.items():
            table[k] = [[str(values[i].dtype), values[i].tolist()] for i in sorted(values)]
    return table


def test_a_notebook_memorising_the_week06_release_earns_nothing_when_graded(tmp_path):
    course = load_course(ROOT)
    week = course.week(WEEK)
    paths = course.paths(week)
    table = tabulate(paths.release_checks)
    source = LOOKUP.replace("{table!r}", repr(json.dumps(table)))

    # The tabulation is real: on the public inputs the lookups give the shipped outputs
    space: dict = {}
    exec(source, space)  # noqa: S102 - the notebook's one cell
    expected = load_npz(paths.release_checks / "expected.npz")
    passed, public = [], load_checks(paths.release_checks, hidden=False).checks
    with drawing_from(0):
        for check in public:
            try:
                got = {k: to_array(v) for k, v in check.probe(space).items()}
            except KeyError:
                continue
            if compare(check, group(expected, check.name), got).passed:
                passed.append(check.name)
    assert passed == [check.name for check in public], passed  # every public check memorised

    # ... and graded, where the inputs are drawn fresh, it earns nothing
    submission = tmp_path / "submission" / paths.notebook_name
    submission.parent.mkdir()
    notebook.write(new_notebook(cells=[new_code_cell(source)]), submission)
    (row,) = grade_batch(course, week, [submission], tmp_path / "out", workers=1, progress=False)
    assert not row.error and row.row is not None, row
    assert not row.row["problems"], row.row["problems"]  # accepted: every graded name defined as released
    assert row.row["earned"] == 0, row.row
