import shutil

import pytest
import torch

from coursekit import check, data_path, notebook
from coursekit.cli import main
from coursekit.engine.runner import RUNNER_ENV

WEEK = "week01_mini"


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


def test_check_times_out_an_infinite_loop(released_minicourse, in_dir, capsys):
    in_dir(released_minicourse / "release" / WEEK)

    def looping(x, dim=-1):
        while True:
            pass

    check("softmax", {"softmax": looping})
    assert "timed out after 5 s" in capsys.readouterr().out


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
