"""Finding submissions: notebooks, folders of them, a folder per student, or an LMS zip.

Each submission gets a student id:
- `<student>/<anything>.ipynb` (a folder per student, or a file named like the week's notebook
  inside a folder): the folder's name;
- `<student>.ipynb` in a flat folder or given directly: the file's stem;
- with `--roster CSV`, any roster value (`student`, `name`, `email`, `lms_id` columns) found as
  a token of the file or folder name maps to the roster's `student` column: LMS exports name
  files like `smithjohn_12345_67890_transformer.ipynb` (Canvas) or `John Smith_12345_assignsubmission_file_`.
A student folder with no notebook is still a submission (graded zero, with the reason).
Submission times come from `--manifest CSV` (`student` or `file`, and `submitted_at` in ISO 8601)
or else from the file's modification time (for zips: the member's time, read as local time).
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from coursekit.errors import CourseKitError

MAX_ZIP_BYTES = 2 << 30  # uncompressed, all members together
SKIPPED = re.compile(r"(^|/)(__MACOSX|\.ipynb_checkpoints|\.[^/]*)(/|$)")  # hidden and OS files
UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]+")


class SubmissionError(CourseKitError):
    """A submissions argument, roster or manifest cannot be used."""


@dataclass(frozen=True)
class Submission:
    student: str
    path: Path | None  # the notebook; None when the student's folder holds none
    submitted_at: datetime | None = None
    note: str = ""  # e.g. "2 notebooks in the folder; graded the newest"
    source: str = ""  # what was found instead of a notebook, for the message


def safe_id(name: str) -> str:
    """A student id usable as a folder name."""
    return UNSAFE.sub("_", name).strip("._") or "unknown"


def read_roster(path: Path) -> dict[str, str]:
    """Roster values (ids, names, emails, LMS ids), lower-cased, -> student id."""
    rows = _read_csv(path, required=("student",))
    mapping = {}
    for row in rows:
        student = row["student"].strip()
        for key in ("student", "name", "email", "lms_id", "login"):
            value = (row.get(key) or "").strip().lower()
            if value:
                mapping[value] = student
                mapping[re.sub(r"\W+", "", value)] = student  # "John Smith" -> "johnsmith", as LMSs write it
    return mapping


def read_manifest(path: Path) -> dict[str, datetime]:
    """`student` or `file` -> submission time, from a CSV with a `submitted_at` column."""
    times = {}
    for number, row in enumerate(_read_csv(path, required=("submitted_at",)), start=2):
        key = (row.get("student") or row.get("file") or "").strip()
        try:
            when = datetime.fromisoformat(row["submitted_at"].strip())
        except ValueError:
            raise SubmissionError(f"{path}: line {number}: submitted_at {row['submitted_at']!r} is not ISO 8601, "
                                  "e.g. 2026-12-11T23:59:00+00:00") from None
        times[key] = when if when.tzinfo else when.replace(tzinfo=UTC)
    return times


def _read_csv(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise SubmissionError(f"{path}: cannot be read ({exc.strerror})") from exc
    columns = set(rows[0]) if rows else set()
    missing = [c for c in required if c not in columns]
    if missing:
        raise SubmissionError(f"{path}: needs a header row with column(s) {', '.join(missing)}")
    return rows


def _student_of(path: Path, notebook_name: str, roster: dict[str, str], in_student_folder: bool) -> str:
    name = path.parent.name if in_student_folder else path.stem
    if roster:
        candidates = [name, *re.split(r"[_\s\-.]+", name), *re.split(r"[_\s\-.]+", path.stem)]
        for token in candidates:
            key = token.strip().lower()
            if key in roster:
                return roster[key]
            if re.sub(r"\W+", "", key) in roster:
                return roster[re.sub(r"\W+", "", key)]
    return safe_id(name)


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)


def extract_zip(archive: Path, dest: Path) -> Path:
    """Unpack an LMS zip safely (no paths outside `dest`, no links, bounded size)."""
    try:
        with zipfile.ZipFile(archive) as zipped:
            members = [m for m in zipped.infolist() if not m.is_dir() and not SKIPPED.search(m.filename)]
            if sum(m.file_size for m in members) > MAX_ZIP_BYTES:
                raise SubmissionError(f"{archive}: unpacks to more than {MAX_ZIP_BYTES >> 30} GB")
            for member in members:
                parts = [p for p in Path(member.filename).parts if p not in ("", ".", "..", "/")]
                if not parts:
                    continue
                target = dest.joinpath(*parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with zipped.open(member) as src, open(target, "wb") as out:
                    while chunk := src.read(1 << 20):
                        out.write(chunk)
                when = datetime(*member.date_time).timestamp()  # local time: LMS zips carry no zone
                os.utime(target, (when, when))
    except zipfile.BadZipFile as exc:
        raise SubmissionError(f"{archive}: not a readable zip ({exc}); download it again") from exc
    return dest


def _from_folder(folder: Path, notebook_name: str, roster: dict[str, str]) -> list[tuple[str, Path | None, str]]:
    found: list[tuple[str, Path | None, str]] = []
    for path in sorted(folder.iterdir()):
        if SKIPPED.search(path.name):
            continue
        if path.is_dir():
            notebooks = sorted(p for p in path.rglob("*.ipynb") if not SKIPPED.search(str(p.relative_to(path))))
            if notebooks:
                found += [(_student_of(nb, notebook_name, roster, nb.parent == path), nb, "") for nb in notebooks]
            else:
                others = [p.name for p in path.rglob("*") if p.is_file()]
                found.append((_student_of(path / "x", notebook_name, roster, True), None, ", ".join(others[:3])))
        elif path.suffix == ".ipynb":
            found.append((_student_of(path, notebook_name, roster, False), path, ""))
        elif path.suffix == ".zip":
            found += _from_zip(path, notebook_name, roster)
    return found


_unpacked: list[tempfile.TemporaryDirectory] = []  # kept until the process ends


def _from_zip(archive: Path, notebook_name: str, roster: dict[str, str]) -> list[tuple[str, Path | None, str]]:
    tmp = tempfile.TemporaryDirectory(prefix="coursekit-zip-")
    _unpacked.append(tmp)
    return _from_folder(extract_zip(archive, Path(tmp.name)), notebook_name, roster)


def find_submissions(
    inputs: list[Path], notebook_name: str, *, roster: Path | None = None, manifest: Path | None = None,
) -> list[Submission]:
    """Every submission under `inputs`, one per student (the newest where a student has several)."""
    names = read_roster(roster) if roster else {}
    times = read_manifest(manifest) if manifest else {}
    found: list[tuple[str, Path | None, str]] = []
    for item in inputs:
        if not item.exists():
            raise SubmissionError(f"{item}: no such file or folder")
        if item.is_dir():
            found += _from_folder(item, notebook_name, names)
        elif item.suffix == ".zip":
            found += _from_zip(item, notebook_name, names)
        else:  # any file given by name is a submission, notebook or not
            in_folder = item.name == notebook_name
            found.append((_student_of(item, notebook_name, names, in_folder), item, ""))
    by_student: dict[str, list[tuple[Path | None, str]]] = {}
    for student, path, other in found:
        by_student.setdefault(student, []).append((path, other))
    submissions = []
    for student, entries in sorted(by_student.items()):
        paths = [p for p, _ in entries if p is not None]
        note = ""
        if len(paths) > 1:  # the week's notebook name wins, then the newest
            paths.sort(key=lambda p: (p.name == notebook_name, p.stat().st_mtime))
            note = f"{len(paths)} notebooks found ({', '.join(p.name for p in paths)}); graded {paths[-1].name}"
        path = paths[-1] if paths else None
        when = times.get(student) or (times.get(path.name) if path else None)
        if when is None and path is not None and path.is_file():
            when = _mtime(path)
        submissions.append(Submission(student, path, when, note, entries[0][1] if path is None else ""))
    return submissions
