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
