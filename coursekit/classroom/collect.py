"""`coursekit grade WEEK FOLDER --at-deadline`: GitHub Classroom repositories, each graded as it stood at the deadline.

Input. A folder of student repositories as GitHub Classroom Assistant clones them,
`<assignment>-<username>/`, each a git repository (or a zip of such a folder, or a folder holding
one such folder). The username is the name after the assignment prefix that all the folders
share; with `--roster` (GitHub Classroom's roster export: `github_username` and `identifier`, or
a `student` column), a folder ending in `-<github_username>` is that student's, and a roster
student without a repository is reported.

Which commit. On the first-parent history of the repository's HEAD (the branch as it stood after
each push), the newest commit whose committer date is on or before the week's due date plus the
late policy's grace is graded; its committer date is the submission time. The commits after it
are late attempts: each is reported with what the late policy would take off, and is not graded.
A repository with no commit by then is graded at its last commit, late under the policy, and
said so. Committer dates come from the student's machine: dates out of order along the history
(a rewritten history or a wrong clock) are noted; GitHub's push times are the check.

Reading an untrusted repository. Git never opens the student's repository as a repository: a
scratch bare repository of ours borrows its objects (`objects/info/alternates`) and copies its
refs (HEAD, refs/, packed-refs, shallow: regular files only). So nothing of the student's
configuration, hooks, attributes, commit-graph or replace refs is read, and the folder's owner
does not matter (safe.directory concerns the repository git opens: ours). Git runs with no system
or global configuration, `core.hooksPath=/dev/null` and a scratch HOME, and only reads: `git log`
(commits), `git ls-tree` (file names) and `git cat-file` (the notebook's bytes). Nothing is checked
out and nothing is written in the student's folder. The graded notebook is written to
`OUT/<student>/<notebook>`, beside its feedback.

Bad input (a folder that is not a git repository, a repository with no commits or no notebook, an
unsafe zip) is one `Problem` line naming the folder; the batch goes on with the others.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath

from coursekit.config import Course, Week
from coursekit.files import write_atomic
from coursekit.grading.lateness import Lateness, lateness
from coursekit.grading.static import MAX_NOTEBOOK_BYTES
from coursekit.grading.submissions import (
    MAX_ZIP_BYTES,
    Found,
    Problem,
    Submission,
    SubmissionError,
    read_csv,
    safe_id,
)

GIT_TIMEOUT_S = 120
SHOWN_LATE = 3  # late attempts named in a submission's note; the rest are counted
# a scratch git's environment: no system or global config, no prompts, no replace refs, no optional locks
GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_ATTR_NOSYSTEM": "1",
           "GIT_TERMINAL_PROMPT": "0", "GIT_NO_REPLACE_OBJECTS": "1", "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
REF_FILES = ("HEAD", "packed-refs", "shallow")  # what a scratch repository copies besides refs/


class GitError(Exception):
    """Git could not read a repository; the message is git's first line."""


@dataclass(frozen=True)
class Commit:
    sha: str
    at: datetime  # the committer date, in UTC

    def label(self) -> str:
        return f"{self.sha[:7]} ({self.at:%Y-%m-%d %H:%M} UTC)"


@dataclass(frozen=True)
class Collected:
    """One repository: the commit graded, and the late attempts after it (newest first)."""

    student: str
    folder: Path
    username: str
    graded: Commit
    on_time: bool  # False: no commit by the deadline, so the last (late) commit is graded
    lateness: Lateness  # of the graded commit, under the late policy
    late: list[tuple[Commit, Lateness]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Collection:
    """What `collect` found: the submissions to grade (and what cannot be), and each repository's commits."""

    found: Found
    repositories: list[Collected]
    cutoff: datetime  # the due date plus grace


# ---------------------------------------------------------------- git, read-only, through a scratch repository


class Scratch:
    """A bare repository of ours that reads a student's objects and refs: git never opens the student's own."""

    def __init__(self, repo: Path, tmp: Path):
        self.repo = repo
        self.git_dir = tmp / "git"
        self.env = {"PATH": os.environ.get("PATH", os.defpath), "HOME": str(tmp), **GIT_ENV}
        self.git("init", "--bare", "--quiet", "--template=", str(self.git_dir), git_dir=False)
        info = self.git_dir / "objects" / "info"
        info.mkdir(parents=True, exist_ok=True)
        (info / "alternates").write_text(str((repo / ".git" / "objects").resolve()) + "\n")
        _copy_refs(repo / ".git", self.git_dir)

    def git(self, *args: str, git_dir: bool = True) -> bytes:
        """Run git on the scratch repository; GitError with git's first line if it fails."""
        command = ["git", "--no-pager", "-c", "core.hooksPath=/dev/null", "-c", f"safe.directory={self.git_dir}",
                   "-c", "core.commitGraph=false", "-c", "log.showSignature=false"]
        command += [f"--git-dir={self.git_dir}", *args] if git_dir else list(args)
        try:
            run = subprocess.run(command, env=self.env, capture_output=True, timeout=GIT_TIMEOUT_S, check=False,
                                 stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise GitError(f"git {args[0]} ran past {GIT_TIMEOUT_S} s") from None
        if run.returncode:
            lines = run.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitError(lines[0] if lines else f"git {args[0]} failed")
        return run.stdout

    def history(self) -> list[Commit]:
        """The first-parent history of HEAD, newest first."""
        out = self.git("log", "--first-parent", "--no-show-signature", "--format=%H %ct", "HEAD", "--")
        commits = []  # only hashes and numbers: nothing the student wrote (a subject) can forge a record
        for line in out.decode("ascii").splitlines():
            sha, _, stamp = line.partition(" ")
            try:
                commits.append(Commit(sha, datetime.fromtimestamp(int(stamp), UTC)))
            except (ValueError, OverflowError, OSError):  # a forged date past what datetime holds
                raise GitError(f"commit {sha[:7]} has a committer date out of range ({stamp})") from None
        return commits

    def files(self, sha: str) -> dict[str, tuple[str, str, str]]:
        """Path -> (mode, type, object) of every entry of the commit's tree."""
        found = {}
        for line in self.git("ls-tree", "-r", "-z", "--full-tree", sha).split(b"\0"):
            meta, _, path = line.partition(b"\t")
            if path:
                mode, kind, obj = meta.decode().split()
                found[path.decode("utf-8", "surrogateescape")] = (mode, kind, obj)
        return found

    def blob(self, obj: str) -> bytes:
        if int(self.git("cat-file", "-s", obj)) > MAX_NOTEBOOK_BYTES:
            raise GitError(f"the notebook is over {MAX_NOTEBOOK_BYTES >> 20} MB")
        return self.git("cat-file", "blob", obj)


def _copy_refs(git: Path, dest: Path) -> None:
    """HEAD, packed-refs, shallow and refs/ as regular files (a link is not followed, nor copied)."""
    for name in REF_FILES:
        source = git / name
        if source.is_file() and not source.is_symlink():
            (dest / name).write_bytes(source.read_bytes())
    refs = git / "refs"
    for path in sorted(refs.rglob("*")) if refs.is_dir() and not refs.is_symlink() else []:
        relative = path.relative_to(git)
        if path.is_file() and not path.is_symlink() and not any(p.is_symlink() for p in path.parents):
            (dest / relative).parent.mkdir(parents=True, exist_ok=True)
            (dest / relative).write_bytes(path.read_bytes())


def repository_problem(folder: Path) -> str | None:
    """Why `folder` is not a repository git can read safely, or None."""
    git = folder / ".git"
    if git.is_symlink() or not git.is_dir():
        return (f"{folder}: not a git repository (no .git folder"
                + (", or it points elsewhere)" if git.exists() or git.is_symlink() else ")")
                + ": clone it again with GitHub Classroom Assistant, or move it out of the folder")
    if not (git / "objects").is_dir() or (git / "objects").is_symlink() or not (git / "HEAD").is_file():
        return f"{folder}: .git has no objects/ or HEAD: clone it again"
    if (git / "objects" / "info" / "alternates").exists():
        return f"{folder}: .git borrows objects from elsewhere (objects/info/alternates): clone it again, unshared"
    if "\n" in str(folder.resolve()):
        return f"{folder}: a line break in the folder's path: rename it"
    return None


# ---------------------------------------------------------------- which commit


def cutoff(course: Course, week: Week) -> datetime:
    """The due date plus the late policy's grace: a commit at or before this is on time."""
    return week.due_at + timedelta(minutes=course.late.grace_minutes)


def choose(history: list[Commit], course: Course, week: Week) -> tuple[Commit, bool, list[Commit]]:
    """(the commit to grade, whether it is on time, the later commits: late attempts, newest first)."""
    last = cutoff(course, week)
    for index, commit in enumerate(history):
        if commit.at <= last:
            return commit, True, history[:index]
    return history[0], False, history[1:]


def out_of_order(history: list[Commit]) -> bool:
    """Whether some commit is dated before its parent (a rewritten history, or a wrong clock)."""
    return any(newer.at < older.at for newer, older in zip(history, history[1:], strict=False))


def _notebook_entry(files: dict[str, tuple[str, str, str]], name: str) -> tuple[str, str] | None:
    """(path, blob) of the week's notebook in a tree: at the top, else the shallowest of that name."""
    candidates = sorted((p for p, (mode, kind, _) in files.items()
                         if kind == "blob" and mode in ("100644", "100755") and PurePosixPath(p).name == name),
                        key=lambda p: (p.count("/"), p))
    return (candidates[0], files[candidates[0]][2]) if candidates else None


def _note(collected: Collected, folder_name: str, path: str, last: datetime) -> str:
    """What the feedback and gradebook say about the commit graded and the late attempts."""
    when = f"the deadline with grace ({last:%Y-%m-%d %H:%M} UTC)"
    head = (f"graded {folder_name}/{path} at commit {collected.graded.label()}, the last on or before {when}"
            if collected.on_time else
            f"no commit on or before {when}: graded {folder_name}/{path} at the last commit, "
            f"{collected.graded.label()}, late")
    parts = [head, *collected.notes]
    if collected.late:
        shown = "; ".join(f"{c.label()}, {lt.describe()}" for c, lt in collected.late[:SHOWN_LATE])
        more = f"; and {len(collected.late) - SHOWN_LATE} more" if len(collected.late) > SHOWN_LATE else ""
        parts.append(f"{len(collected.late)} later commit(s), late attempts not graded: {shown}{more}")
    return "; ".join(parts)


def collect_one(folder: Path, student: str, username: str, course: Course, week: Week,
                out: Path) -> tuple[Collected, Submission]:
    """Read one repository, write its graded notebook to OUT/<student>/; GitError or ValueError (one line) if not."""
    notebook_name = course.paths(week).notebook_name
    with tempfile.TemporaryDirectory(prefix="coursekit-git-") as tmp:
        scratch = Scratch(folder, Path(tmp))
        try:
            history = scratch.history()
        except GitError as exc:
            raise GitError(f"no commits git can read ({exc})") from None
        graded, on_time, later = choose(history, course, week)
        late = [(c, lateness(c.at, week.due_at, course.late)) for c in later]
        notes = ["commit dates are out of order along the history (rewritten, or a wrong clock): compare "
                 "GitHub's push times"] if out_of_order(history) else []
        if (folder / ".git" / "shallow").is_file():
            notes.append("a shallow clone: older commits are missing")
        files = scratch.files(graded.sha)
        entry = _notebook_entry(files, notebook_name)
        if entry is None:
            shown = ", ".join(sorted(files)[:3]) or "nothing"
            raise ValueError(f"no {notebook_name} in commit {graded.label()} (found: {shown})")
        data = scratch.blob(entry[1])
    collected = Collected(student, folder, username, graded, on_time, lateness(graded.at, week.due_at, course.late),
                          late, notes)
    path = out / student / notebook_name
    write_atomic(path, data)
    note = _note(collected, folder.name, entry[0], cutoff(course, week))
    return collected, Submission(student, path, graded.at, note)


# ---------------------------------------------------------------- whose repository


@dataclass(frozen=True)
class ClassroomRoster:
    """GitHub username (lower case) -> student id, from a roster CSV."""

    students: dict[str, str]
    path: Path


def read_classroom_roster(path: Path) -> ClassroomRoster:
    """`github_username` and `student` (or GitHub Classroom's `identifier`) columns; a username twice is refused."""
    rows = read_csv(path, required=("github_username",))
    id_column = "student" if "student" in rows[0] else "identifier"
    if id_column not in rows[0]:
        raise SubmissionError(f"{path}: --at-deadline needs a roster with columns github_username and student "
                              "(or GitHub Classroom's roster export: identifier, github_username)")
    students: dict[str, str] = {}
    for number, row in enumerate(rows, start=2):
        username = (row.get("github_username") or "").strip().lower()
        student = (row.get(id_column) or "").strip() or username
        if not username:
            continue  # a student who has not accepted the assignment yet
        if username in students:
            raise SubmissionError(f"{path}: line {number}: github_username {username} is on two lines: keep one")
        students[username] = safe_id(student)
    return ClassroomRoster(students, path)


def shared_prefix(names: list[str]) -> str:
    """The `<assignment>-` all folder names start with ("" for fewer than two names)."""
    if len(names) < 2:
        return ""
    prefix = os.path.commonprefix(names)
    return prefix[:prefix.rfind("-") + 1]


def username_of(name: str, prefix: str, roster: ClassroomRoster | None) -> str:
    """A folder's GitHub username: the longest roster username it ends with, else the name after the prefix."""
    lower = name.lower()
    if roster is not None:
        known = [u for u in roster.students if lower.endswith("-" + u) or lower == u]
        if known:
            return max(known, key=len)
    return name[len(prefix):] or name


def repositories(inputs: list[Path], tmp: Path) -> tuple[list[Path], list[Problem]]:
    """The repository folders under `inputs` (zips unpacked into `tmp`), and inputs that cannot be read."""
    folders, problems = [], []
    for number, item in enumerate(inputs):
        if not item.exists():
            raise SubmissionError(f"{item}: no such file or folder")
        if item.is_file() and item.suffix == ".zip":
            why = unzip(item, tmp / str(number))
            if why:
                problems.append(Problem(item.name, f"{item}: {why}; nothing in it was graded: download it again"))
                continue
            item = tmp / str(number)
        if not item.is_dir():
            problems.append(Problem(item.name, f"{item}: not a folder of repositories or a zip of one"))
            continue
        folders += _repository_folders(item)
    return folders, problems


def _repository_folders(folder: Path) -> list[Path]:
    """The folder itself if it is a repository, else its sub-folders (through one folder holding only folders)."""
    if (folder / ".git").exists():
        return [folder]
    children = sorted(p for p in folder.iterdir() if not p.name.startswith(".") and p.name != "__MACOSX")
    dirs = [p for p in children if p.is_dir() and not p.is_symlink()]
    if len(dirs) == 1 and not (dirs[0] / ".git").exists() and any((p / ".git").exists() for p in dirs[0].iterdir()):
        return _repository_folders(dirs[0])  # Classroom Assistant's `<assignment>-submissions/`
    return dirs


def unzip(archive: Path, dest: Path) -> str:
    """Unpack a zip of repositories (regular files only, no link, absolute path or ..); '' or why not."""
    try:
        with zipfile.ZipFile(archive) as zipped:
            members = zipped.infolist()
            for info in members:
                path = PurePosixPath(info.filename)
                if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", info.filename):
                    return f"member {info.filename!r} has an unsafe path (absolute, or with ..)"
                if stat.S_ISLNK(info.external_attr >> 16):
                    return f"member {info.filename!r} is a symbolic link"
            if sum(i.file_size for i in members) > MAX_ZIP_BYTES:
                return f"it unpacks to over {MAX_ZIP_BYTES >> 20} MB"
            for info in members:
                if not info.is_dir():
                    target = dest.joinpath(*PurePosixPath(info.filename).parts)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with zipped.open(info) as source, open(target, "wb") as handle:
                        shutil.copyfileobj(source, handle)  # streamed: zipfile stops at the declared size
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as exc:
        return f"not a readable zip ({exc})"
    return ""


def collect(course: Course, week: Week, inputs: list[Path], out: Path, roster: Path | None = None) -> Collection:
    """Every repository under `inputs`, graded at its last commit by the deadline: the submissions and the report."""
    people = read_classroom_roster(roster) if roster else None
    submissions, problems, collected = [], [], []
    with tempfile.TemporaryDirectory(prefix="coursekit-repos-") as tmp:
        folders, problems = repositories(inputs, Path(tmp))
        prefix = shared_prefix([f.name for f in folders])
        owners: dict[str, list[Path]] = {}
        for folder in folders:
            username = username_of(folder.name, prefix, people)
            student = people.students.get(username.lower()) if people else None
            owners.setdefault(student or safe_id(username), []).append(folder)
        for student, mine in sorted(owners.items()):
            if len(mine) > 1:
                names = ", ".join(f.name for f in mine)
                problems.append(Problem(student, f"{names}: all are {student}'s; neither was graded: keep one"))
                continue
            folder = mine[0]
            why = repository_problem(folder)
            if why is None:
                try:
                    repo, submission = collect_one(folder, student, username_of(folder.name, prefix, people),
                                                   course, week, out)
                    collected.append(repo)
                    submissions.append(submission)
                    continue
                except (GitError, ValueError, OSError) as exc:
                    why = f"{folder}: {exc}: fix the repository or leave it out; the others are graded"
            problems.append(Problem(student, why))
    if people is not None:
        problems += [Problem(student, f"{student} (GitHub {username}): on the roster {people.path}, but no "
                                      f"repository ending -{username} was found")
                     for username, student in sorted(people.students.items()) if student not in owners]
    return Collection(Found(submissions, problems), collected, cutoff(course, week))
