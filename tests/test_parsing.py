"""Parent-side parsing of untrusted files: what the sandbox wrote (cells.json, probe records, .npz)
and the submission itself. Each malformed input is its probe's or its submission's one-line
problem, never an exception; and a batch mixing them with an honest notebook grades it in full."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import time
import zipfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from coursekit.arrays import load_npz, save_npz
from coursekit.config import load_course
from coursekit.engine.execute import Execution, parse_json, take_outputs
from coursekit.engine.forkserver import ForkServer
from coursekit.grading import batch, static
from coursekit.grading.batch import grade_batch
from coursekit.grading.grade import grade_notebook
from coursekit.grading.week import WeekGrader

MB = 1 << 20
DEEP = b"[" * 100_000 + b"]" * 100_000
BIG_INT = b"1" * 5000  # over int()'s 4,300-digit limit


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def huge_header() -> bytes:
    """A .npy whose header claims 8 TB but which holds 16 bytes."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)})
    return buffer.getvalue() + bytes(16)


def npz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def encrypted(data: bytes) -> bytes:
    """`data` (a one-member zip) with its member marked encrypted, as zipfile cannot write one."""
    marked = bytearray(data)
    marked[6] |= 0x1  # the local header's flags
    marked[marked.index(b"PK\x01\x02") + 8] |= 0x1  # the central directory's
    return bytes(marked)


def valid_npz() -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, y=np.arange(6.0).reshape(2, 3), m=np.eye(2, dtype=bool))
    return buffer.getvalue()


def corrupt_npz() -> bytes:
    data = bytearray(valid_npz())
    data[60:90] = bytes(30)  # inside the first member's compressed data
    return bytes(data)


def taken(files: dict[str, bytes], max_bytes: int = MB) -> Execution:
    execution = Execution()
    take_outputs(files, execution, max_bytes)
    return execution


# --- what the sandbox wrote --------------------------------------------------------------------

@pytest.mark.parametrize("data", [DEEP, b"[" + BIG_INT + b"]", b"{not json", b"\xff\xfe", b'{"index": 1}',
                                  b"x" * (2 * MB)])
def test_unreadable_cells_json_gives_no_cell_records(data):
    assert taken({"cells.json": data}).cells == []


def test_cell_records_keep_only_checked_types():
    records = [
        {"index": "3", "status": "error", "error": "x"}, {"index": True, "status": "ok"},
        {"index": -1, "status": "ok"}, {"index": 2, "status": ["error"]}, {"index": 4, "status": {"a": 1}},
        {"index": 5, "status": "error", "error": {"nested": [1, 2]}}, [], "cell",
        {"index": 6, "status": "error", "error": "ValueError: bad\nsecond line \udcff"}, {"index": 6, "status": "ok"},
    ]
    cells = taken({"cells.json": json.dumps(records).encode()}).cells
    assert cells == [{"index": 5, "status": "error", "error": ""},
                     {"index": 6, "status": "error", "error": "ValueError: bad second line ?"}]


@pytest.mark.parametrize("record, status, error", [
    ({"status": ["timeout"], "error": "x"}, "error", "x"),
    ({"status": "timeout", "error": "timed out after 5 s"}, "timeout", "timed out after 5 s"),
    ({"status": "error", "error": {"deep": "dict"}}, "error", "its error record could not be read"),
    ([1, 2], "error", "its error record could not be read"),
])
def test_probe_json_record_types_are_checked(record, status, error):
    probe = taken({"outputs/submission/c.json": json.dumps(record).encode()}).probe("c")
    assert (probe.status, probe.error, probe.outputs) == (status, error, None)


@pytest.mark.parametrize("data", [DEEP, b'{"status": "error", "error": ' + BIG_INT + b"}"])
def test_unparsable_probe_json_is_the_probes_error(data):
    assert taken({"outputs/submission/c.json": data}).probe("c").error == "its error record could not be read"


@pytest.mark.parametrize("data, why", [
    (npz({"x.npy": huge_header()}), "does not match"),
    (encrypted(npz({"x.npy": npy(np.arange(3.0))})), "encrypted"),
    (corrupt_npz(), ""),
    (valid_npz()[:100], ""),
    (b"PK\x03\x04 not a zip", ""),
    (npz({"x.npy": npy(np.array([{"a": 1}], dtype=object))}), "dtype object"),
    (npz({"x.npy": npy(np.array(["text"]))}), "dtype <U4"),
    (npz({"x.npy": npy(np.zeros(2, dtype=[("a", "<f8")]))}), "dtype"),
    (npz({"x.npy": npy(np.zeros(2, dtype=complex))}), "dtype complex128"),
    (npz({"x.txt": npy(np.zeros(2))}), "not one plain .npy member"),
    (npz({"x.npy": npy(np.zeros(2))[:-8]}), "does not match"),
    (npz({"x.npy": npy(np.zeros(300_000))}), "over the"),
    (npz({f"x{i}.npy": npy(np.zeros(1)) for i in range(1001)}), "more than 1000 arrays"),
])
def test_bad_npz_is_the_probes_error(data, why):
    start = time.monotonic()
    probe = taken({"outputs/submission/c.npz": data}).probe("c")
    assert probe.status == "error" and probe.outputs is None
    assert probe.error.startswith("its outputs could not be read") and why in probe.error and "\n" not in probe.error
    assert time.monotonic() - start < 5


def test_good_npz_and_records_already_taken_win():
    execution = taken({"outputs/submission/c.npz": valid_npz(), "cells.json": b'[{"index": 1, "status": "ok"}]'})
    take_outputs({"outputs/submission/c.json": b'{"status": "error", "error": "late"}',
                  "cells.json": b'[{"index": 1, "status": "error", "error": "late"}]'}, execution, MB)
    probe = execution.probe("c")
    assert probe.status == "ok" and np.array_equal(probe.outputs["y"], np.arange(6.0).reshape(2, 3))
    assert probe.outputs["m"].dtype == bool and execution.cells == [{"index": 1, "status": "ok"}]


def test_load_npz_keeps_layout_and_refuses_a_huge_directory(tmp_path):
    arrays = {"f": np.asfortranarray(np.arange(6.0).reshape(2, 3)), "s": np.array(2.5), "e": np.zeros((0, 3))}
    save_npz(tmp_path / "a.npz", arrays)
    loaded = load_npz((tmp_path / "a.npz").read_bytes(), max_bytes=MB, max_members=3)
    assert all(np.array_equal(loaded[k], v) and loaded[k].shape == v.shape for k, v in arrays.items())
    directory = b"PK\x01\x02" * 5000  # each central-directory entry starts so: counted before zipfile reads them
    with pytest.raises(ValueError, match="more than 1000 arrays"):
        load_npz(directory, max_bytes=MB, max_members=1000)


def test_parse_json_bounds_size_and_depth():
    assert parse_json(b'{"a": [[1], "[[[["]}') == {"a": [[1], "[[[["]}
    with pytest.raises(ValueError, match="nested more than"):
        parse_json(b"[" * 65 + b"]" * 65)
    with pytest.raises(ValueError, match="over"):
        parse_json(b"[]" * MB)
    with pytest.raises(ValueError):
        parse_json(BIG_INT)


def test_progress_records_of_wrong_types_are_ignored():
    server = SimpleNamespace(public={"a"}, hidden={"b"})
    progress = ForkServer._progress.__get__(server)
    assert progress({"phase": "check", "check": ["a"]}, 10) is None
    assert progress({"phase": "check", "check": {"a": 1}}, 10) is None
    assert progress({"phase": "cell", "cell": True}, 10) is None
    assert progress({"phase": ["cell"], "cell": 1}, 10) is None
    assert progress({"phase": "cell", "cell": 3}, 10) == {"phase": "cell", "cell": 3}
    assert progress({"phase": "check", "check": "b"}, 10)["check"] == "b"


# --- the submission ----------------------------------------------------------------------------

GRADED = {"softmax"}
EXPECTED = {"softmax": ("softmax(x, dim)", ["x", "dim"])}


def notebook(*cells: object) -> bytes:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": list(cells)}).encode()


def code(source: object, metadata: object = None) -> dict:
    return {"cell_type": "code", "metadata": {} if metadata is None else metadata, "source": source, "outputs": []}


def prepared(tmp_path: Path, raw: bytes) -> static.Prepared:
    path = tmp_path / "nb.ipynb"
    path.write_bytes(raw)
    return static.prepare(path, GRADED, EXPECTED)


@pytest.mark.parametrize("raw, phrase", [
    (b'{"cells": ' + DEEP + b"}", "is not valid notebook JSON (it is nested more than 64 levels deep)"),
    (b'{"cells": [], "x": ' + BIG_INT + b"}", "is not valid notebook JSON (Exceeds the limit (4300 digits)"),
    (b'{"cells": {"0": {}}}', "is JSON but not a Jupyter notebook"),
    (notebook(*[{}] * (static.MAX_CELLS + 1)), f"over the limit of {static.MAX_CELLS}"),
])
def test_unreadable_submission_is_one_fatal_line(tmp_path, raw, phrase):
    result = prepared(tmp_path, raw)
    assert result.text is None and phrase in result.fatal and "\n" not in result.fatal
    assert result.sha256 != "none"


def test_cells_of_wrong_types_are_cleaned(tmp_path):
    result = prepared(tmp_path, notebook(
        code("def softmax(x, dim):\n    return x", metadata=[1, 2]),
        code("x = 1", metadata={"tags": {"train": True}}),
        code([1, 2, 3]),
        code("y = 2", metadata={"tags": ["train", 7]}),
        {"cell_type": ["code"], "source": "z = 3"},
        "not a cell",
    ))
    cells = json.loads(result.text)["cells"]
    assert [c["cell_type"] for c in cells] == ["code", "code", "raw", "code", "raw", "raw"]
    assert cells[0]["metadata"] == {} and cells[1]["metadata"] == {} and cells[3]["metadata"] == {"tags": ["train"]}
    assert result.problems == ["cell 2 has no readable source; it was left out"]


def test_too_large_cell_is_run_but_not_analysed(tmp_path):
    big = "f()\n" * 250_000  # 1 MB of calls: ast.parse would need about 700 MB and 10 s
    start = time.monotonic()
    result = prepared(tmp_path, notebook(code("def softmax(x, dim):\n    return x"), code(big)))
    assert time.monotonic() - start < 5
    assert result.problems == ["cell 1 is too large to analyse (1,000,000 characters > 250,000); it was run without "
                               "checking its syntax and signatures"]
    assert json.loads(result.text)["cells"][1]["source"] == big


def test_syntax_problems_are_one_encodable_line(tmp_path):
    result = prepared(tmp_path, notebook(code("def softmax(x, dim): pass"), code("x = 1\0"), code("y = '\udcff")))
    assert len(result.problems) == 2 and all("\n" not in p for p in result.problems)
    assert all(p.encode() for p in result.problems) and result.problems[0].startswith("cell 1, syntax error")


def slow(*args: object) -> static.Prepared:
    time.sleep(30)
    return static.Prepared(text="{}")


def greedy(*args: object) -> static.Prepared:
    return static.Prepared(text=str(bytearray(2 << 30)))


def broken(*args: object) -> static.Prepared:
    raise TypeError("a bug")


@pytest.mark.parametrize("analyse, phrase", [
    (slow, "could not be analysed within 1 s (very long or deeply nested code?)"),
    (greedy, "needs over 256 MB of memory to analyse (very long or deeply nested code?)"),
    (broken, "could not be analysed (the grader failed on it)"),
])
def test_analysis_is_bounded_in_a_child(tmp_path, monkeypatch, analyse, phrase):
    monkeypatch.setattr(static, "analyse", analyse)
    monkeypatch.setattr(static, "ANALYSIS_TIMEOUT_S", 1)
    monkeypatch.setattr(static, "ANALYSIS_MEMORY_BYTES", 256 * MB)
    start = time.monotonic()
    result = prepared(tmp_path, notebook(code("x = 1")))
    assert result.text is None and phrase in result.fatal and time.monotonic() - start < 10


def test_pathological_json_is_bounded_by_memory(tmp_path, monkeypatch):
    monkeypatch.setattr(static, "ANALYSIS_MEMORY_BYTES", 64 * MB)
    result = prepared(tmp_path, b'{"cells": [' + b"[]," * 5_000_000 + b"[]]}")  # 15 MB: about 400 MB as lists
    assert result.text is None and "memory" in result.fatal


def test_prepare_matches_analyse_on_a_course_notebook(released_minicourse):
    course = load_course(released_minicourse)
    path = course.paths(course.weeks[0]).solution
    grader = WeekGrader.load(course, course.weeks[0])
    child = static.prepare(path, grader.graded, grader.signatures)
    here = static.analyse(path.read_bytes(), path.name, path.suffix, grader.graded, grader.signatures)
    assert (child.text, child.cells, child.problems, child.fatal) == (here.text, here.cells, here.problems, None)


# --- grading under attack ----------------------------------------------------------------------

CELLS_JSON_ATTACK = """\
import json
import coursekit.engine.runner as runner
write = runner._write_json
def forged(path, data):
    write(path, data)
    if str(path).endswith("cells.json"):
        path.write_text(json.dumps([{"index": "3", "status": ["x"], "error": {"a": 1}}, {"index": 99, "status": "ok"}]))
runner._write_json = forged
"""

NPZ_ATTACK = """\
import io, zipfile
import numpy as np
import coursekit.arrays
def forged(path, arrays):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)})
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("out.npy", header.getvalue() + bytes(16))
coursekit.arrays.save_npz = forged
"""


def with_cell(key: str, source: str) -> str:
    nb = json.loads(key)
    nb["cells"].append({"cell_type": "code", "metadata": {}, "source": source, "outputs": [], "execution_count": None})
    return json.dumps(nb)


def test_batch_grades_the_honest_notebook_whatever_the_others_hold(released_minicourse, tmp_path, monkeypatch):
    course = load_course(released_minicourse)
    week = course.weeks[0]
    key = course.paths(week).solution.read_text()
    nb = json.loads(key)
    nb["cells"][2]["metadata"] = ["not", "a", "dict"]
    submissions = {
        "honest": key, "deep": '{"cells": ' + DEEP.decode() + "}",
        "bigint": '{"cells": [], "n": ' + BIG_INT.decode() + "}",
        "metadata": json.dumps(nb), "forged_cells": with_cell(key, CELLS_JSON_ATTACK),
        "forged_npz": with_cell(key, NPZ_ATTACK), "killer": key,
    }
    subs, out = tmp_path / "subs", tmp_path / "out"
    for student, text in submissions.items():
        (subs / student).mkdir(parents=True)
        (subs / student / "mini.ipynb").write_text(text)
    real = batch.grade_notebook

    def kill_worker(*args, **kwargs):  # a grader process that dies on one submission, whoever runs beside it
        if kwargs["student"] == "killer":
            os._exit(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(batch, "grade_notebook", kill_worker)
    rows = {r.student: r.row for r in grade_batch(course, week, [subs], out, workers=2, progress=False)}
    points = week.points
    assert rows["honest"]["score"] == pytest.approx(points) and rows["honest"]["problems"] == []
    assert rows["metadata"]["score"] == pytest.approx(points)
    assert "nested more than 64 levels" in rows["deep"]["problems"][0] and rows["deep"]["score"] == 0
    assert "4300 digits" in rows["bigint"]["problems"][0]
    assert rows["forged_cells"]["score"] == pytest.approx(points)
    assert rows["forged_npz"]["score"] == 0
    assert "ended the grader's process 2 times" in rows["killer"]["problems"][0]
    with open(out / "gradebook.csv") as handle:
        assert {r["student"] for r in csv.DictReader(handle)} == set(submissions)
    assert all(len(p.splitlines()) == 1 for row in rows.values() for p in row["problems"])


def test_a_grader_failure_mid_run_costs_the_next_submission_nothing(released_minicourse, tmp_path, monkeypatch):
    course = load_course(released_minicourse)
    week = course.weeks[0]
    shutil.copyfile(course.paths(week).solution, tmp_path / "first.ipynb")
    shutil.copyfile(course.paths(week).solution, tmp_path / "second.ipynb")
    grader = WeekGrader.load(course, week)
    real = ForkServer._take
    calls = []

    def fail_once(self, files, execution):  # the grader fails while the sandbox is mid-run
        calls.append(1)
        if len(calls) == 1:
            raise TypeError("a grader bug")
        return real(self, files, execution)

    monkeypatch.setattr(ForkServer, "_take", fail_once)
    with grader.server() as server:
        first = grade_notebook(course, week, tmp_path / "first.ipynb", tmp_path / "a", grader=grader, server=server)
        second = grade_notebook(course, week, tmp_path / "second.ipynb", tmp_path / "b", grader=grader, server=server)
    assert first.score == 0 and "the grader failed on this notebook (TypeError at test_parsing.py:" in first.problems[0]
    assert second.score == pytest.approx(week.points) and second.seconds < course.limits.notebook_timeout_s / 4
