from coursekit.cli import main


def test_unknown_week_is_one_line(released_minicourse, in_dir, capsys):
    in_dir(released_minicourse)
    assert main(["validate", "week42"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "no week 'week42'; known weeks: week01_mini" in err and "course_config.py" in err


def test_missing_notebook_is_one_line(minicourse, in_dir, capsys):
    (minicourse / "source" / "week01_mini" / "mini.ipynb").unlink()
    in_dir(minicourse)
    assert main(["release", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "mini.ipynb: notebook not found" in err


def test_corrupt_notebook_is_one_line(minicourse, in_dir, capsys):
    (minicourse / "source" / "week01_mini" / "mini.ipynb").write_text("{not json")
    in_dir(minicourse)
    assert main(["release", "1"]) == 2
    assert "not a readable notebook" in capsys.readouterr().err


def test_outside_a_course(tmp_path, in_dir, capsys):
    in_dir(tmp_path)
    assert main(["release"]) == 2
    assert "no course_config.py here or above" in capsys.readouterr().err


def test_check_of_a_missing_or_misplaced_notebook_is_one_line(tmp_path, capsys):
    assert main(["check", str(tmp_path / "nothere.ipynb")]) == 2
    assert "nothere.ipynb: notebook not found" in capsys.readouterr().err
    (tmp_path / "loose.ipynb").write_text("{}")
    assert main(["check", str(tmp_path / "loose.ipynb")]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "checks: not found" in err


# ---------------------------------------------------------------- coursekit check: cells, --function, set-up


def saved_solution(course, tmp_path, folder: str = "mine"):
    """A copy of the mini release with the answer key saved as the learner's notebook: (path, notebook)."""
    import shutil

    from coursekit import notebook

    release = shutil.copytree(course / "release" / "week01_mini", tmp_path / folder)
    nb = notebook.read(course / "solutions" / "week01_mini" / "mini.ipynb")
    return release / "mini.ipynb", nb


def test_check_names_a_cell_with_a_syntax_error(released_minicourse, tmp_path, capsys):
    from coursekit import notebook

    path, nb = saved_solution(released_minicourse, tmp_path)
    nb.cells[4].source = "def causal_mask(T):\n    return torch.ones(T, T dtype=torch.bool).tril()\n"
    notebook.write(nb, path)
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "✗ cell 4, line 2: SyntaxError: invalid syntax" in out
    assert "return torch.ones(T, T dtype=torch.bool).tril()" in out
    assert "✗ cell 4, which defines `causal_mask`, failed (SyntaxError at line 2): fix it first" in out
    assert "1/2 public checks passed" in out


def test_check_function_typo_exits_2_with_a_suggestion(released_minicourse, tmp_path, capsys):
    from coursekit import notebook

    path, nb = saved_solution(released_minicourse, tmp_path)
    notebook.write(nb, path)
    assert main(["check", str(path), "--function", "causal_mak"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "mini.ipynb: no graded function 'causal_mak' (did you mean `causal_mask`?)" in err


def test_check_function_runs_only_the_cells_it_needs(released_minicourse, tmp_path, capsys):
    from coursekit import notebook

    path, nb = saved_solution(released_minicourse, tmp_path)
    nb.cells[6].source = "open('later-cell-ran.txt', 'w').close()"  # after softmax's definition
    notebook.write(nb, path)
    assert main(["check", str(path), "--function", "softmax"]) == 0
    out = capsys.readouterr().out
    assert "1/1 public checks passed" in out and "causal_mask" not in out
    assert not (path.parent / "later-cell-ran.txt").exists()


def test_check_finds_checks_above_the_notebook(released_minicourse, tmp_path, capsys):
    from coursekit import notebook

    path, nb = saved_solution(released_minicourse, tmp_path)
    (path.parent / "drafts").mkdir()
    notebook.write(nb, path.parent / "drafts" / "mini.ipynb")
    assert main(["check", str(path.parent / "drafts" / "mini.ipynb")]) == 0
    assert "2/2 public checks passed" in capsys.readouterr().out


def test_check_on_a_file_that_is_not_a_notebook_is_one_line(capsys):
    assert main(["check", "README.md"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "not a notebook" in err
