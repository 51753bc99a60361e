import contextlib
import json
import re
import shutil
import time
import tomllib
from pathlib import Path

import nbformat
import pytest
import torch
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from coursekit import check, data_path, notebook, selfcheck
from coursekit.arrays import load_npz, save_npz
from coursekit.authoring.release import KERNELSPEC, LANGUAGE_INFO
from coursekit.cli import main
from coursekit.engine.runner import RUNNER_ENV
from coursekit.selfcheck import CHECKS_ENV, find_checks_folder

WEEK = "week01_mini"
ROOT = Path(__file__).resolve().parents[1]


def softmax(x, dim=-1):
    return torch.softmax(x, dim=dim)


def causal_mask(T):
    return torch.ones(T, T, dtype=torch.bool).tril(-1)  # a catalogued mistake


def test_check_passes_reports_and_names_a_mistake(released_minicourse, in_dir, capsys):
    in_dir(released_minicourse / "release" / WEEK)
    check("softmax")
    out = capsys.readouterr().out
    assert "✓ softmax_rows [2/2]" in out and "softmax: all passed" in out
    check("causal_mask")
    out = capsys.readouterr().out
    assert "✗ causal_mask_4 [0/1]" in out and "[known mistake: causal_mask_off_by_one]" in out
    assert "first mismatch at [0, 0]: expected 1, got 0" in out


def test_check_from_a_copied_release_folder(released_minicourse, tmp_path, in_dir, capsys):
    copy = shutil.copytree(released_minicourse / "release" / WEEK, tmp_path / "anywhere")
    in_dir(copy)
    check("softmax")
    assert "softmax: all passed" in capsys.readouterr().out
    assert data_path("mini/numbers.txt").read_text().startswith("1.0")


def test_check_unknown_name_and_silence_while_grading(released_minicourse, in_dir, capsys, monkeypatch):
    in_dir(released_minicourse / "release" / WEEK)
    check("nonexistent")
    assert "no public checks for 'nonexistent'; graded here: causal_mask, softmax" in capsys.readouterr().out
    monkeypatch.setenv(RUNNER_ENV, "1")
    check("softmax")
    assert capsys.readouterr().out == ""


def test_stub_raises_not_implemented(released_minicourse, in_dir, capsys):
    in_dir(released_minicourse / "release" / WEEK)

    def stub(x, dim=-1):
        raise NotImplementedError

    check("softmax", {"softmax": stub})
    assert "NotImplementedError: not implemented yet" in capsys.readouterr().out


@pytest.mark.parametrize(("which", "code"), [("solutions", 0), ("release", 1)])
def test_cli_check_of_saved_notebook(released_minicourse, tmp_path, which, code, capsys):
    folder = shutil.copytree(released_minicourse / "release" / WEEK, tmp_path / "mine")
    nb = notebook.read(released_minicourse / which / WEEK / "mini.ipynb")
    notebook.write(nb, folder / "mini.ipynb")
    assert main(["check", str(folder / "mini.ipynb")]) == code
    out = capsys.readouterr().out
    assert ("2/2 public checks passed" if code == 0 else "0/2 public checks passed") in out


# ---------------------------------------------------------------- helpers


def add_softmax_check(release: Path, name: str = "softmax_cols") -> None:
    """A second public check of softmax in a private release, with its expected outputs."""
    with open(release / "checks" / "public.py", "a") as public:
        public.write(f"\nfrom functools import partial\n\n"
                     f"CHECKS.append(Check({name!r}, 'softmax', partial(probe_softmax, dim=0), points=1))\n")
    expected = load_npz(release / "checks" / "expected.npz")
    expected[f"{name}/y"] = torch.softmax(selfcheck_input(), dim=0).numpy()
    save_npz(release / "checks" / "expected.npz", expected)


def selfcheck_input() -> torch.Tensor:
    from coursekit.probing import randn

    return randn(3, 5, seed=0)


def set_manifest(release: Path, **values) -> None:
    path = release / "checks" / "manifest.json"
    path.write_text(json.dumps(json.loads(path.read_text()) | values))


@pytest.fixture
def shell():
    """An IPython shell like the one a notebook runs in (Jupyter's kernel uses the same compiler)."""
    config = Config()
    config.HistoryManager.enabled = False
    yield InteractiveShell.instance(config=config)
    InteractiveShell.clear_instance()


# ---------------------------------------------------------------- a slow or hanging function


def test_one_time_limit_per_function_with_a_note_while_it_runs(minicourse, in_dir, capsys, monkeypatch):
    release = minicourse / "release" / WEEK
    add_softmax_check(release)
    set_manifest(release, selfcheck_timeout_s=2)
    monkeypatch.setattr(selfcheck, "SLOW_CHECK_S", 0.5)
    in_dir(release)

    def looping(x, dim=-1):
        while True:
            with contextlib.suppress(Exception):  # learner code that swallows errors is still stopped
                time.sleep(0.01)

    start = time.monotonic()
    check("softmax", {"softmax": looping})
    elapsed = time.monotonic() - start
    out = capsys.readouterr().out
    assert elapsed < 3.5, f"two checks of a hanging function took {elapsed:.1f} s; one limit of 2 s was expected"
    assert "softmax_rows is still running; it is stopped in 1 s" in out  # 2 s less the 0.5 s before the note
    assert "timed out after 2 s (an infinite loop?)" in out
    assert "not run: the 2 s limit for `softmax`'s checks ran out" in out


def test_time_limit_lives_in_course_config(released_minicourse):
    manifest = json.loads((released_minicourse / "release" / WEEK / "checks" / "manifest.json").read_text())
    assert manifest["selfcheck_timeout_s"] == 10  # Limits' default; course_config.py may set another


# ---------------------------------------------------------------- where the learner's code raised


LEARNER_CELL = """import torch

def softmax(x, dim=-1):
    w = torch.ones(4, 4, dtype=x.dtype)
    return x @ w  # (3, 5) @ (4, 4): a forgotten transpose
"""


def test_a_crash_shows_the_learners_cell_line_and_source(released_minicourse, in_dir, shell, capsys):
    in_dir(released_minicourse / "release" / WEEK)
    shell.run_cell(LEARNER_CELL, store_history=True)
    shell.run_cell("from coursekit import check\nreport = check('softmax')", store_history=True)
    text = str(shell.user_ns["report"])
    assert re.search(r"raised at In \[\d+\], line 5:\n {8}return x @ w", text), text
    assert "RuntimeError: mat1 and mat2 shapes cannot be multiplied" in text
    assert "full traceback: check('softmax', traceback=True)" in text
    html = shell.user_ns["report"]._repr_html_()
    assert "<summary>full traceback</summary>" in html and "return x @ w" in html

    full = str(check("softmax", shell.user_ns, traceback=True))
    assert "Traceback (most recent call last)" in full and re.search(r'File "In \[\d+\]", line 5, in softmax', full)


def test_a_report_shows_once_in_a_cell_even_as_its_value(released_minicourse, in_dir, shell, capsys):
    in_dir(released_minicourse / "release" / WEEK)
    shell.run_cell("import torch\nsoftmax = lambda x, dim=-1: torch.softmax(x, dim)", store_history=True)
    capsys.readouterr()
    shell.run_cell("from coursekit import check\ncheck('softmax')\ncheck('softmax')", store_history=True)
    assert capsys.readouterr().out.count("softmax: all passed") == 2  # each call shows; the cell's value is not echoed


# ---------------------------------------------------------------- contract before values


def test_a_changed_signature_is_named_before_any_value(released_minicourse, in_dir, capsys):
    in_dir(released_minicourse / "release" / WEEK)

    def softmax(x, temperature=1.0, dim=-1):  # an inserted parameter takes what the checks pass as dim
        return torch.softmax(x / temperature, dim=dim)

    lines = str(check("softmax", {"softmax": softmax})).splitlines()
    assert lines[0] == ("✗ `softmax(x, temperature, dim)` does not match the notebook's `softmax(x, dim)`: keep the "
                        "given parameters, or the checks pass arguments to the wrong ones")


def test_contract_problems_come_before_values():
    from coursekit.checks import Check
    from coursekit.compare import compare
    from coursekit.explain import problem_lines

    expected = {"a_output": torch.zeros(3).numpy(), "b_table": torch.zeros(3, dtype=torch.float32).numpy()}
    got = {"a_output": torch.ones(3).numpy(), "b_table": torch.zeros(3, dtype=torch.float64).numpy()}
    result = compare(Check("c", "f", lambda ns: {}, exact_dtype=True), expected, got)
    assert [line.split(":")[0] for line in problem_lines(result)] == ["b_table", "a_output"]


# ---------------------------------------------------------------- set-up


def test_checks_found_above_the_notebook_or_through_the_environment(minicourse, tmp_path, in_dir, monkeypatch, capsys):
    release = minicourse / "release" / WEEK
    (release / "my work").mkdir()
    in_dir(release / "my work")
    assert find_checks_folder() == release / "checks"
    check("softmax", {"softmax": lambda x, dim=-1: torch.softmax(x, dim)})
    assert "softmax: all passed" in capsys.readouterr().out

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    in_dir(elsewhere)
    monkeypatch.setenv(CHECKS_ENV, str(release / "checks"))
    assert find_checks_folder() == release / "checks"
    monkeypatch.setenv(CHECKS_ENV, str(elsewhere))
    with pytest.raises(FileNotFoundError, match=f"{CHECKS_ENV} names no checks folder"):
        find_checks_folder()


def test_student_extra_installs_jupyterlab_without_nbgrader():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    student = " ".join(extras["student"])
    assert "jupyterlab" in student and "ipywidgets" in student and "ipykernel" in student
    assert "nbgrader" not in student and "author" not in student
    readme = (ROOT / "README.md").read_text()
    mentee = readme[readme.index("## A mentee's workflow"):readme.index("## A mentor's workflow")]
    assert "coursekit[student]" in mentee and "jupyter lab" in mentee


@pytest.mark.parametrize("which", ["release", "solutions"])
def test_released_notebooks_carry_the_standard_kernel_metadata(released_minicourse, which):
    nb = notebook.read(released_minicourse / which / WEEK / "mini.ipynb")
    assert nb.metadata.kernelspec == KERNELSPEC and nb.metadata.language_info == LANGUAGE_INFO


@pytest.mark.parametrize("week", ["week06_transformer", "week08_bert_gpt"])
def test_released_import_cells_print_no_stray_value(week, shell, in_dir):
    path = next((ROOT / "release" / week).glob("*.ipynb"))
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.kernelspec == KERNELSPEC and nb.metadata.language_info == LANGUAGE_INFO
    in_dir(path.parent)
    first = next(c for c in nb.cells if c.cell_type == "code")
    result = shell.run_cell(first.source, store_history=True)
    assert result.success and result.result is None, f"{path.name}'s import cell shows {result.result!r}"
