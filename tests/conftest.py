"""Shared fixtures: a released copy of the one-week mini course."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from coursekit.authoring.release import release_week
from coursekit.config import load_course

FIXTURE = Path(__file__).parent / "fixtures" / "minicourse"
ROOT = Path(__file__).parent.parent


ATTACK_LIMITS = "Limits(cell_timeout_s=4, check_timeout_s=3, notebook_timeout_s=25, memory_mb=2048, max_processes=32)"


def released_with_small_limits(root: Path):
    """A released copy of the mini course at `root` with the small limits attack tests grade under."""
    copy_course(root)
    config = root / "course_config.py"
    config.write_text(re.sub(r"limits=Limits\(.*?\),\n", f"limits={ATTACK_LIMITS},\n", config.read_text(), flags=re.S))
    course = load_course(root)
    release_week(course, course.weeks[0])
    return course


def copy_course(dest: Path) -> Path:
    shutil.copytree(FIXTURE, dest, ignore=shutil.ignore_patterns("release", "solutions", ".cache", "__pycache__"))
    return dest


@pytest.fixture(scope="session")
def released_minicourse(tmp_path_factory) -> Path:
    """The mini course, released once per test session (read-only for tests)."""
    root = copy_course(tmp_path_factory.mktemp("mini") / "course")
    course = load_course(root)
    release_week(course, course.weeks[0])
    return root


@pytest.fixture
def minicourse(released_minicourse, tmp_path) -> Path:
    """A private, already released copy that a test may change."""
    root = tmp_path / "course"
    shutil.copytree(released_minicourse, root)
    return root


@pytest.fixture
def in_dir():
    """Run code with a given working directory, restoring it afterwards."""
    previous = Path.cwd()

    def enter(path: Path) -> None:
        os.chdir(path)

    yield enter
    os.chdir(previous)


@pytest.fixture
def chromium() -> str:
    """Debian's Chromium for Playwright's `executable_path` (its own browser download cannot work here)."""
    path = shutil.which("chromium")
    if path is None:
        pytest.skip("Chromium is not installed: `apt-get install chromium` (Debian; .ci/run installs it)")
    return path
