"""`coursekit grade WEEK FOLDER --at-deadline`: GitHub Classroom repositories graded at their last commit by
the deadline, later commits reported as late attempts, bad repositories reported one line each, and the
student's repository read without its config, hooks or a checkout."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from coursekit.classroom.collect import Commit, choose, collect, out_of_order, shared_prefix, username_of
from coursekit.cli import main
from coursekit.config import load_course

WEEK = "week01_mini"
NOTEBOOK = "mini.ipynb"


def commit(repo: Path, files: dict[str, str], when: datetime, message: str) -> str:
    """Write `files` and commit them with author and committer date `when`; returns the commit's sha."""
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    stamp = when.isoformat()
    env = {**os.environ, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp, "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_CONFIG_GLOBAL": os.devnull}
    git = ["git", "-c", "user.name=Mentee", "-c", "user.email=mentee@example.org", "-C", str(repo)]
    subprocess.run([*git, "add", "-A"], check=True, env=env)
    subprocess.run([*git, "commit", "-q", "-m", message], check=True, env=env)
    return subprocess.run([*git, "rev-parse", "HEAD"], check=True, env=env, capture_output=True,
                          text=True).stdout.strip()


def new_repo(folder: Path) -> Path:
    folder.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(folder)], check=True,
                   env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull})
    return folder


def tree_digest(folder: Path) -> str:
    """Every file under `folder` (the .git folder too), names and bytes: proof that nothing was written there."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file() and not path.is_symlink():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def classroom(released_minicourse, tmp_path_factory):
    """Repositories as GitHub Classroom Assistant clones them, graded once with --at-deadline."""
    course = load_course(released_minicourse)
    week = course.weeks[0]
    paths = course.paths(week)
    key, stub = paths.solution.read_text(), paths.release.read_text()
    due = week.due_at
    root = tmp_path_factory.mktemp("classroom")
    repos = root / "week01-mini-submissions"
    shas = {}

    alice = new_repo(repos / "week01-mini-alice")  # on time, then a late commit that breaks it
    commit(alice, {NOTEBOOK: stub, "README.md": "starter"}, due - timedelta(days=6), "Initial commit")
    shas["alice"] = commit(alice, {NOTEBOOK: key}, due - timedelta(hours=3), "done")
    shas["alice_late"] = commit(alice, {NOTEBOOK: stub}, due + timedelta(days=1, hours=1), "oops")

    bob = new_repo(repos / "week01-mini-bob-smith")  # nothing by the deadline: graded late, a hyphenated username
    shas["bob"] = commit(bob, {NOTEBOOK: key}, due + timedelta(hours=20), "late work")

    carol = new_repo(repos / "week01-mini-carol")  # within the grace period, the notebook in a folder
    shas["carol"] = commit(carol, {f"work/{NOTEBOOK}": key}, due + timedelta(minutes=10), "just in time")

    (repos / "week01-mini-dave").mkdir()  # a download that is not a repository
    (repos / "week01-mini-dave" / NOTEBOOK).write_text(key)
    erin = new_repo(repos / "week01-mini-erin")  # a repository without the notebook
    commit(erin, {"answers.py": "print(1)\n"}, due - timedelta(days=1), "wrong file")

    # an untrusted repository config that would run programs, were it honoured
    marker = root / "pwned"
    config = alice / ".git" / "config"
    config.write_text(config.read_text() + f"[log]\n\tshowSignature = true\n[gpg]\n\tprogram = {root / 'evil.sh'}\n"
                      f"[core]\n\tfsmonitor = {root / 'evil.sh'}\n\tpager = {root / 'evil.sh'}\n")
    (root / "evil.sh").write_text(f"#!/bin/sh\ntouch {marker}\n")
    (root / "evil.sh").chmod(0o755)
    for hook in ("post-checkout", "pre-commit", "reference-transaction", "post-index-change"):
        (alice / ".git" / "hooks" / hook).write_text(f"#!/bin/sh\ntouch {marker}\n")
        (alice / ".git" / "hooks" / hook).chmod(0o755)
    if os.geteuid() == 0:  # another owner: git's safe.directory would refuse to open it as a repository
        for path in [bob, *bob.rglob("*")]:
            os.chown(path, 65534, 65534, follow_symlinks=False)

    roster = root / "classroom_roster.csv"  # GitHub Classroom's roster export
    with open(roster, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["identifier", "github_username", "github_id", "name"])
        writer.writerows([["s-alice", "alice", "1", "Alice"], ["s-bob", "bob-smith", "2", "Bob"],
                          ["s-carol", "Carol", "3", "Carol"], ["s-frank", "frank", "4", "Frank"]])
    before = {p.name: tree_digest(p) for p in repos.iterdir()}
    out = root / "out"
    cwd = Path.cwd()
    os.chdir(released_minicourse)
    try:
        code = main(["grade", WEEK, str(repos), "--out", str(out), "--at-deadline", "--roster", str(roster),
                     "--workers", "2"])
    finally:
        os.chdir(cwd)
    with open(out / "gradebook.csv", newline="") as handle:
        book = {row["student"]: row for row in csv.DictReader(handle)}
    return {"course": course, "root": root, "repos": repos, "out": out, "code": code, "shas": shas, "book": book,
            "before": before, "marker": marker, "roster": roster, "points": week.points}


def grade_json(out: Path, student: str) -> dict:
    return json.loads((out / student / "grade.json").read_text())


def test_each_repository_scored_at_its_last_commit_by_the_deadline(classroom):
    out, shas = classroom["out"], classroom["shas"]
    assert classroom["code"] == 0
    alice = grade_json(out, "s-alice")
    assert alice["score"] == pytest.approx(classroom["points"])  # the key at the on-time commit, not the late stub
    assert alice["days_late"] == 0 and alice["submitted_at"].startswith("2099-12-01T20:59")
    carol = grade_json(out, "s-carol")  # 10 minutes after the due date: within the 15 minutes of grace
    assert carol["days_late"] == 0 and carol["score"] == pytest.approx(classroom["points"])
    feedback = (out / "s-alice" / "feedback.md").read_text()
    assert shas["alice"][:7] in feedback and "the last on or before the deadline" in feedback
    graded = json.loads((out / "s-alice" / NOTEBOOK).read_text())
    assert "NotImplementedError" not in json.dumps(graded["cells"])  # the key's commit, not the late stub


def test_later_commits_are_late_attempts_under_the_policy(classroom):
    feedback = (classroom["out"] / "s-alice" / "feedback.md").read_text()
    assert "1 later commit(s), late attempts not graded" in feedback
    assert f"{classroom['shas']['alice_late'][:7]} (2099-12-03 00:59 UTC), 2 days late: -20%" in feedback


def test_no_commit_by_the_deadline_is_graded_late_and_reported(classroom):
    bob = grade_json(classroom["out"], "s-bob")  # another owner's folder, a hyphenated username
    assert bob["days_late"] == 1 and bob["penalty"] == pytest.approx(0.1)
    assert bob["score"] == pytest.approx(0.9 * classroom["points"])
    feedback = (classroom["out"] / "s-bob" / "feedback.md").read_text()
    assert "no commit on or before the deadline" in feedback and classroom["shas"]["bob"][:7] in feedback
    book = classroom["book"]
    assert book["s-bob"]["days_late"] == "1" and float(book["s-alice"]["score"]) == pytest.approx(classroom["points"])


def test_bad_repositories_are_one_line_each_and_the_batch_goes_on(classroom, capsys):
    out = classroom["out"]
    assert set(classroom["book"]) == {"s-alice", "s-bob", "s-carol"}
    for name in ("dave", "erin"):
        assert not (out / name / "grade.json").exists()
    course = classroom["course"]
    collection = collect(course, course.weeks[0], [classroom["repos"]], classroom["root"] / "again",
                         classroom["roster"])
    why = {p.what: p.why for p in collection.found.problems}
    assert "week01-mini-dave: not a git repository (no .git folder)" in why["dave"]
    assert "week01-mini-erin: no mini.ipynb in commit" in why["erin"] and "(found: answers.py)" in why["erin"]
    assert "no repository ending -frank" in why["s-frank"]
    assert all("\n" not in line for line in why.values())


def test_the_students_repository_is_only_read(classroom):
    assert not classroom["marker"].exists()  # no hook, pager, fsmonitor or gpg program of the repository ran
    assert {p.name: tree_digest(p) for p in classroom["repos"].iterdir()} == classroom["before"]  # nothing written


def test_a_zip_of_the_repositories_is_read_alike(classroom, tmp_path):
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(classroom["repos"].rglob("*")):
            if path.is_file():
                zipped.write(path, path.relative_to(classroom["repos"].parent).as_posix())
    course = classroom["course"]
    collection = collect(course, course.weeks[0], [archive], tmp_path / "out", classroom["roster"])
    graded = {r.student: r.graded.sha for r in collection.repositories}
    assert graded == {"s-alice": classroom["shas"]["alice"], "s-bob": classroom["shas"]["bob"],
                      "s-carol": classroom["shas"]["carol"]}
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zipped:
        zipped.writestr("../escape/.git/HEAD", "ref: refs/heads/main\n")
    collection = collect(course, course.weeks[0], [evil], tmp_path / "out2")
    assert "unsafe path" in collection.found.problems[0].why and not (tmp_path / "escape").exists()


def test_choose_walks_the_history_back_to_the_deadline(released_minicourse):
    course = load_course(released_minicourse)
    week = course.weeks[0]
    due = week.due_at

    def at(hours: float) -> Commit:
        return Commit(f"{hours:+}", due + timedelta(hours=hours))

    history = [at(30), at(0.2), at(-5)]  # newest first; 12 minutes late is within the 15 minutes of grace
    assert choose(history, course, week) == (history[1], True, history[:1])
    assert choose(history[:1], course, week) == (history[0], False, [])
    assert not out_of_order(history) and out_of_order([at(-5), at(30)])  # a child dated before its parent


def test_usernames_from_folder_names():
    names = ["week06-transformer-alice", "week06-transformer-bob-smith", "week06-transformer-al"]
    prefix = shared_prefix(names)
    assert prefix == "week06-transformer-"
    assert [username_of(n, prefix, None) for n in names] == ["alice", "bob-smith", "al"]
    assert shared_prefix(["week06-transformer-alice"]) == ""  # one folder: its whole name is the id


@pytest.mark.parametrize("option, text, phrase", [
    ("--manifest", "student,submitted_at\n", "leave out --manifest"),
    ("--roster", "student,name\nalice,Alice\n", "needs a header row with column(s) github_username"),
    ("--roster", "github_username,name\nalice,Alice\n", "needs a roster with columns github_username and student"),
])
def test_at_deadline_refuses_a_manifest_or_a_roster_without_usernames(released_minicourse, in_dir, tmp_path, capsys,
                                                                       option, text, phrase):
    in_dir(released_minicourse)
    (tmp_path / "repos").mkdir()
    (tmp_path / "given.csv").write_text(text)
    assert main(["grade", WEEK, str(tmp_path / "repos"), "--out", str(tmp_path / "out"), "--at-deadline",
                 option, str(tmp_path / "given.csv")]) == 2
    err = capsys.readouterr().err.strip()
    assert phrase in err and "\n" not in err
