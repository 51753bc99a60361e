"""`coursekit export gradescope`: the zip's contents, no leaks, and run_autograder end to end."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from coursekit import notebook
from coursekit.cli import main
from coursekit.config import load_course
from coursekit.gradescope.export import export_gradescope
from coursekit.grading.bundle import grading_secrets, load_bundle
from coursekit.reference import load_reference


@pytest.fixture(scope="module")
def exported(released_minicourse, tmp_path_factory) -> Path:
    course = load_course(released_minicourse)
    return export_gradescope(course, course.weeks[0], tmp_path_factory.mktemp("export") / "autograder.zip")


def _gradescope(zip_path: Path, tmp: Path) -> Path:
    """A folder laid out like Gradescope's /autograder, with the zip unpacked in source/."""
    root = tmp / "autograder"
    for name in ("source", "submission", "results"):
        (root / name).mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(root / "source")
        for info in archive.infolist():  # extractall drops the modes Gradescope keeps
            mode = info.external_attr >> 16
            if mode:
                os.chmod(root / "source" / info.filename, stat.S_IMODE(mode))
    return root


def _run_autograder(root: Path) -> dict:
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable}
    done = subprocess.run([str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads((root / "results" / "results.json").read_text())


def test_zip_holds_what_gradescope_needs(exported):
    with zipfile.ZipFile(exported) as archive:
        names = set(archive.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
        requirements = archive.read("requirements.txt").decode().splitlines()
        setup = archive.read("setup.sh").decode()
    assert {"setup.sh", "run_autograder", "requirements.txt", "bundle/course_config.py", "bundle/bundle.json",
            "bundle/autograder/week01_mini/public.py", "bundle/autograder/week01_mini/hidden.py",
            "bundle/autograder/week01_mini/reference.npz", "bundle/data/mini/numbers.txt",
            "bundle/release/week01_mini/mini.ipynb"} <= names
    assert any(n.startswith("wheels/coursekit-") and n.endswith("-py3-none-any.whl") for n in names)
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert "torch==2.13.0" in requirements and "download.pytorch.org/whl/cpu" in setup
    pins = [line for line in requirements if line and not line.startswith("#")]
    assert all("==" in line for line in pins) and any(line.startswith("numpy==") for line in pins)
    assert "bubblewrap" in setup


def test_zip_has_no_solution_or_mistake_code(exported, released_minicourse):
    paths = load_course(released_minicourse).paths(load_course(released_minicourse).weeks[0])
    solution = {line.strip() for region in notebook.solution_regions(notebook.read(paths.source), paths.source)
                for line in region.text.splitlines() if len(line.strip()) > 8}
    with zipfile.ZipFile(exported) as archive:
        assert not [n for n in archive.namelist() if n.startswith(("bundle/source/", "bundle/solutions/"))]
        key = "bundle/autograder/week01_mini/key.json"  # the graded definitions, for grading isolation
        text = "\n".join(archive.read(n).decode(errors="replace") for n in archive.namelist()
                         if not n.endswith((".whl", ".npz")) and n != key)
        mistakes = archive.read("bundle/autograder/week01_mini/mistakes.py").decode()
        definitions = json.loads(archive.read(key))
    assert not [line for line in solution if line in text]
    assert set(definitions) == {"softmax", "causal_mask"}
    assert "tril(-1)" not in mistakes and "code=''" in mistakes and "causal_mask_off_by_one" in mistakes


def test_export_is_reproducible(exported, released_minicourse, tmp_path):
    course = load_course(released_minicourse)
    again = export_gradescope(course, course.weeks[0], tmp_path / "again.zip")
    assert again.read_bytes() == exported.read_bytes()


def test_bundle_holds_the_grading_secrets_of_the_course(exported, released_minicourse, tmp_path):
    """The bundle grades on the course's fresh inputs, not the public ones."""
    root = _gradescope(exported, tmp_path)
    bundle = load_bundle(root / "source" / "bundle")
    course = load_course(released_minicourse)
    paths = course.paths(course.weeks[0])
    secrets, course_secrets = grading_secrets(bundle.course, bundle.paths), grading_secrets(course, paths)
    assert secrets.input_seed == course_secrets.input_seed != 0
    ours, theirs = secrets.ref, load_reference(course, paths, input_seed=secrets.input_seed)
    public = load_reference(course, paths)
    assert any((public.outputs[c][n] != a).any() for c, outs in theirs.outputs.items() for n, a in outs.items())
    assert ours.outputs.keys() == theirs.outputs.keys() and ours.mistakes.keys() == theirs.mistakes.keys()
    for check, outputs in theirs.outputs.items():
        for name, array in outputs.items():
            assert (ours.outputs[check][name] == array).all()


def test_wheel_installs(exported, tmp_path):
    root = _gradescope(exported, tmp_path)
    (wheel,) = (root / "source" / "wheels").glob("*.whl")
    done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                           "--target", str(tmp_path / "site"), str(wheel)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "site" / "coursekit" / "grading" / "grade.py").is_file()


@pytest.mark.slow
def test_run_autograder_grades_a_submission(exported, released_minicourse, tmp_path):
    root = _gradescope(exported, tmp_path)
    key = released_minicourse / "solutions" / "week01_mini" / "mini.ipynb"
    nb = notebook.read(key)
    for cell in nb.cells:  # the learner's causal mask hides the diagonal: a catalogued mistake
        cell.source = cell.source.replace(".tril()", ".tril(-1)")
    notebook.write(nb, root / "submission" / "mini.ipynb")
    (root / "submission_metadata.json").write_text(json.dumps({"created_at": "2026-11-30T10:00:00+00:00"}))
    results = _run_autograder(root)
    assert results["score"] == pytest.approx(10 * 4 / 7, abs=1e-3)  # softmax 4 of 7 check points, on time
    failed = [t for t in results["tests"] if t["status"] == "failed"]
    assert failed and all(t["tags"] == ["causal_mask"] for t in failed)
    assert any("known mistake: causal_mask_off_by_one" in t["output"] for t in failed)
    assert {t["visibility"] for t in results["tests"]} == {"visible", "after_published"}
    assert (root / "results" / "feedback.md").is_file()


def test_run_autograder_without_a_notebook_scores_zero_with_the_reason(exported, tmp_path):
    root = _gradescope(exported, tmp_path)
    (root / "submission" / "answers.py").write_text("print('hi')\n")
    results = _run_autograder(root)
    assert results["score"] == 0 and "no notebook submitted" in results["output"] and "answers.py" in results["output"]


def test_run_autograder_reports_a_broken_autograder(exported, tmp_path):
    root = _gradescope(exported, tmp_path)
    shutil.rmtree(root / "source" / "bundle")
    results = _run_autograder(root)
    assert results["score"] == 0 and "not your mistake" in results["output"]


def test_cli_export(released_minicourse, tmp_path, in_dir, capsys):
    in_dir(released_minicourse)
    assert main(["export", "gradescope", "1", "--out", str(tmp_path / "ag.zip")]) == 0
    assert zipfile.is_zipfile(tmp_path / "ag.zip") and "ag.zip" in capsys.readouterr().out
