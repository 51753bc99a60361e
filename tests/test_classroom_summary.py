"""`coursekit check --summary FILE`: the Markdown job summary of the starter repository's workflow, appended to
the file, naming the failing checks, with text from learner code kept inside code blocks."""

from __future__ import annotations

import re
import shutil

from coursekit import notebook
from coursekit.cli import main

NASTY = "<img src=x onerror=alert(1)> | [click](https://evil.example) ``` **bold**"


def mentee_notebook(course, tmp_path):
    """A copy of the mini release with the answer key saved as the learner's notebook: (path, notebook)."""
    release = shutil.copytree(course / "release" / "week01_mini", tmp_path / "mine")
    return release / "mini.ipynb", notebook.read(course / "solutions" / "week01_mini" / "mini.ipynb")


def test_summary_of_a_passing_notebook(released_minicourse, tmp_path):
    path, nb = mentee_notebook(released_minicourse, tmp_path)
    notebook.write(nb, path)
    summary = tmp_path / "summary.md"
    assert main(["check", str(path), "--summary", str(summary)]) == 0
    text = summary.read_text()
    assert text.startswith("## ✅ mini.ipynb: 2/2 public checks passed")
    assert "| ✅ | `softmax_rows` | `softmax` |" in text and "Failing checks" not in text


def test_summary_names_failures_and_keeps_learner_text_in_code(released_minicourse, tmp_path):
    path, nb = mentee_notebook(released_minicourse, tmp_path)
    cell = next(c for c in nb.cells if c.cell_type == "code" and "def softmax(" in c.source)
    cell.source = f"def softmax(x, dim=-1):\n    raise ValueError({NASTY!r})\n"
    notebook.write(nb, path)
    summary = tmp_path / "summary.md"
    summary.write_text("## an earlier step\n")
    assert main(["check", str(path), "--summary", str(summary)]) == 1
    text = summary.read_text()
    assert text.startswith("## an earlier step\n## ❌ mini.ipynb: 1/2 public checks passed")  # appended
    assert "Failing checks: `softmax_rows`" in text and "| ❌ | `softmax_rows` | `softmax` | 0/" in text
    # the learner's message appears only inside a fence its backticks cannot close
    fence = re.search(r"^(`{4,})$", text, re.MULTILINE).group(1)
    block = text.split(fence)[1]
    assert NASTY in block and NASTY not in text.replace(block, "")


def test_summary_says_why_nothing_was_checked(tmp_path):
    summary = tmp_path / "summary.md"
    assert main(["check", str(tmp_path / "renamed.ipynb"), "--summary", str(summary)]) == 2
    text = summary.read_text()
    assert text.startswith("## ❌ `renamed.ipynb`: not checked") and "notebook not found" in text
