"""Finding submissions, and whose each one is: notebooks, folders of them, a folder per student, LMS zips.

Inputs. Each top-level entry of a folder is one student's: a sub-folder (every notebook anywhere
under it is theirs, whatever it is called), a `.ipynb` file, or a `.zip` file (content: never
unpacked); other files (README.txt) and hidden or OS files are ignored. A `.zip` given as an argument
is an LMS download, the one archive whose member names and dates are trusted, as the LMS wrote them:
each top-level member (a file, or a folder with everything under it) is one student's. Archives
inside it are a student's content: never unpacked, never a source of names or times. Only its
notebooks are unpacked, each at most `MAX_NOTEBOOK_BYTES` (a larger one is its student's problem)
and all together at most `MAX_ZIP_BYTES`, to paths built from the member's name parts. An archive
that cannot be read, or holds an absolute path, a `..` or two members with one path, is not an LMS
download: it becomes one `Problem` line and the batch goes on with the other inputs.

Ids (`safe_id`). The folder's name, or the file's stem (a `<notebook>.ipynb` given by path: its
folder's name), NFC-normalised and kept as it is but for what a file system or the output folder
cannot hold, percent-encoded as UTF-8: `%`, `/`, `\\`, `<>:"|?*`, control, format, private and
unassigned characters, spaces other than U+0020, a leading space or dot, a trailing space or dot,
and the first character of a name the grader writes beside the student folders (`_logs`,
`gradebook.*`, `cohort.*`) or of a Windows device name. So distinct names stay distinct
(`john smith`, `john_smith`, `müller`, `mäller`) and `urllib.parse.unquote` gives the name back. An id
over `MAX_ID_BYTES` keeps its head and ends with `%-` and a hash of the whole name; the empty name
is `%-`: a literal `%` is always escaped, so these never equal an escaped name. Ids that differ only
in case are distinct: keep the output folder on a case-sensitive file system.

Roster (`--roster CSV`, a `student` column). With an `lms_id` column, a student is found by LMS id
only: the first `_<id>_<file id>_` (Canvas: `smithjohn_12345_67890_transformer.ipynb`, also
`smithjohn_late_...`) or `_<id>_assignsubmission_` (Moodle: `John Smith_12345_assignsubmission_file_`)
in the entry's name, the part the LMS writes left of anything the student named; entries without a
known id keep their own name. Without an `lms_id` column, any `student`, `name`, `email` or `login`
value found as the name or a token of it maps to the roster's student: this trusts the name the
upload came with, and a value shared by two roster rows maps to no one.

Conflicts. Entries whose ids are equal are refused: neither is graded, and a `Problem` names both
(e.g. `alice/` and `alice.ipynb`, one student in two downloads). The one exception is several files
with one LMS id in one download (Canvas keeps each file of a submission apart): they are one
student's files. Among a student's notebooks the week's notebook name wins, then the newest, then
the path; the note says which was graded.

Times. The manifest (`--manifest CSV`: `student`, or `file` as the top-level name in the folder or
download, and `submitted_at` in ISO 8601) first; else the file's modification time, or for an LMS
download the member's stored date, read as local time; a zero or invalid date there is unknown: no
lateness (on time) unless the manifest says.
"""

from __future__ import annotations

import csv
import hashlib
import re
import shutil
import tempfile
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from coursekit.errors import CourseKitError
from coursekit.grading.static import MAX_NOTEBOOK_BYTES

MAX_ZIP_BYTES = 2 << 30  # an LMS download's notebooks, uncompressed, all together
MAX_ID_BYTES = 200  # file names hold 255 bytes: room for `_logs/<id>.log`
SKIPPED = re.compile(r"(^|/)(__MACOSX|\.ipynb_checkpoints|\.[^/]*)(/|$)")  # hidden and OS files
FORBIDDEN = frozenset('%/\\<>:"|?*')  # `%` starts an escape; no common file system holds the rest
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"})  # controls, invisibles, odd spaces
# What the grader writes beside the student folders: batch.LOGS, and by prefix hidden and temporary files,
# gradebook.db (with SQLite's -journal, -wal and -shm), gradebook.csv and cohort.html.
OUTPUT_NAMES = frozenset({"_logs"})
OUTPUT_PREFIXES = (".", "gradebook.", "cohort.")
DEVICES = re.compile(r"(con|prn|aux|nul|com\d|lpt\d)(\..*)?", re.IGNORECASE)  # Windows device names
# Canvas `_<user id>_<file id>_`, Moodle `_<id>_assignsubmission_`: the first is left of the uploaded name
LMS_ID = re.compile(r"_(?:late_)?(\d+)_(?:\d+_|assign(?:submission|feedback)_)", re.IGNORECASE)
MARK = "%-"  # in no escaped name (a literal `%` is `%25`): the empty name's id, and a shortened id's hash follows it
MEMBER_ERRORS = (  # reading one member: damaged, encrypted, unsupported, or a name the file system refuses
    zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError, ValueError)


class SubmissionError(CourseKitError):
    """A submissions argument, roster or manifest cannot be used."""


@dataclass(frozen=True)
class Submission:
    student: str
    path: Path | None  # the notebook; None when the student's folder holds none
    submitted_at: datetime | None = None
    note: str = ""  # e.g. "2 notebooks found (...); graded mini.ipynb"
    source: str = ""  # what was found instead of a notebook, for the message


@dataclass(frozen=True)
class Problem:
    """An input or a student that was not graded, for the mentor: rerun once the file is fixed."""

    what: str  # the input's file name, or the student id
    why: str  # one line naming the file and the fix


@dataclass(frozen=True)
class Found:
    """What `find_submissions` found: the submissions to grade, and what cannot be graded."""

    submissions: list[Submission]  # one per student, by student
    problems: list[Problem]


@dataclass(frozen=True)
class Roster:
    """Who is who: by LMS id when the roster has an `lms_id` column, else by name, email, login or id."""

    by_lms_id: dict[str, str] = field(default_factory=dict)
    by_name: dict[str, str] = field(default_factory=dict)


@dataclass
class _Entry:
    """One top-level entry of an input: one student's folder or file, with the notebooks unpacked from it."""

    source: Path  # the input it is in
    where: str  # for messages: its path, or `archive.zip:member`
    name: str  # the folder's name, or the file's name
    folder: bool  # the student is the folder's name (else the file's stem)
    notebooks: dict[Path, datetime | None] = field(default_factory=dict)  # -> when submitted (None: unknown)
    others: list[str] = field(default_factory=list)  # other files, for "no notebook submitted (found: ...)"
    problems: list[str] = field(default_factory=list)  # notebooks that were not unpacked, one line each


def safe_id(name: str) -> str:
    """`name` as a student id and folder name: NFC, percent-encoded where unsafe, lossless, never empty."""
    name = unicodedata.normalize("NFC", name)
    if not name:
        return MARK
    pieces = [_escape(c) if _unsafe(c) else c for c in name]
    if _taken(name):
        pieces[0] = _escape(name[0])
    if name[-1] in " .":  # Windows drops trailing dots and spaces
        pieces[-1] = _escape(name[-1])
    return _shortened(pieces, name)


def _escape(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))


def _unsafe(char: str) -> bool:
    return char in FORBIDDEN or (char != " " and unicodedata.category(char) in HIDDEN_CATEGORIES)


def _taken(name: str) -> bool:
    """Whether `name` starts like a hidden file, a name the grader writes, a device, or with a space."""
    folded = name.casefold()
    return (folded in OUTPUT_NAMES or folded.startswith(OUTPUT_PREFIXES) or name.startswith(" ")
            or DEVICES.fullmatch(name) is not None)


def _shortened(pieces: list[str], name: str) -> str:
    """The escaped name, or past MAX_ID_BYTES its head, `%-` and a hash of the whole name."""
    text = "".join(pieces)
    if len(text.encode()) <= MAX_ID_BYTES:
        return text
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    head, size = [], 0
    for piece in pieces:
        size += len(piece.encode())
        if size > MAX_ID_BYTES - len(MARK) - len(digest):
            break
        head.append(piece)
    return "".join(head) + MARK + digest


def read_roster(path: Path) -> Roster:
    """The roster's students by LMS id if it has an `lms_id` column, else by name, email, login and id."""
    rows = read_csv(path, required=("student",))
    if "lms_id" in rows[0]:
        return Roster(by_lms_id=_lms_ids(path, rows))
    return Roster(by_name=_names(path, rows))


def _roster_student(path: Path, number: int, row: dict[str, str]) -> str:
    student = (row.get("student") or "").strip()
    if not student:
        raise SubmissionError(f"{path}: line {number} has no student: fill it in or delete the line")
    return safe_id(student)


def _lms_ids(path: Path, rows: list[dict[str, str]]) -> dict[str, str]:
    """LMS id -> student id; an LMS id on two rows is refused (whose would the uploads be?)."""
    students: dict[str, str] = {}
    lines: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):
        student, lms_id = _roster_student(path, number, row), (row.get("lms_id") or "").strip()
        if not lms_id:
            continue
        if students.setdefault(lms_id, student) != student:
            raise SubmissionError(f"{path}: lms_id {lms_id} is on lines {lines[lms_id]} and {number}: "
                                  "give each student their own")
        lines.setdefault(lms_id, number)
    return students


def _names(path: Path, rows: list[dict[str, str]]) -> dict[str, str]:
    """Ids, names, emails and logins, lower-cased and squashed as LMSs write them -> student; shared ones left out."""
    students: dict[str, str] = {}
    shared = set()
    for number, row in enumerate(rows, start=2):
        student = _roster_student(path, number, row)
        for column in ("student", "name", "email", "login"):
            value = (row.get(column) or "").strip().lower()
            for key in {value, re.sub(r"\W+", "", value)} - {""}:  # "John Smith" -> "johnsmith"
                if students.setdefault(key, student) != student:
                    shared.add(key)
    return {key: student for key, student in students.items() if key not in shared}


def read_manifest(path: Path) -> dict[str, datetime]:
    """Student id or file name -> submission time, from a CSV with a `submitted_at` column."""
    times = {}
    for number, row in enumerate(read_csv(path, required=("submitted_at",)), start=2):
        student = (row.get("student") or "").strip()
        key = safe_id(student) if student else (row.get("file") or "").strip()
        try:
            when = datetime.fromisoformat((row["submitted_at"] or "").strip())
        except ValueError:
            raise SubmissionError(f"{path}: line {number}: submitted_at {row['submitted_at']!r} is not ISO 8601, "
                                  "e.g. 2026-12-11T23:59:00+00:00") from None
        times[key] = when if when.tzinfo else when.replace(tzinfo=UTC)
    return times


def read_csv(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    """The rows of a CSV (a roster, a manifest) with a header holding `required`; SubmissionError if not."""
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


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)


def _member_time(info: zipfile.ZipInfo) -> datetime | None:
    """When the LMS stored a member (local time: zips carry no zone); None for a zero or invalid date."""
    try:
        return datetime(*info.date_time).astimezone(UTC)
    except ValueError:
        return None


def _folder_entries(folder: Path) -> list[_Entry]:
    """One entry per sub-folder, `.ipynb` file and `.zip` file (content, never unpacked) at the folder's top."""
    entries = []
    for path in sorted(folder.iterdir()):
        if SKIPPED.search(path.name):
            continue
        if path.is_dir():
            entries.append(_tree_entry(folder, path))
        elif path.suffix in (".ipynb", ".zip"):
            entry = _Entry(folder, str(path), path.name, folder=False)
            if path.suffix == ".ipynb":
                entry.notebooks[path] = _mtime(path)
            else:
                entry.others.append(path.name)
            entries.append(entry)
    return entries


def _tree_entry(source: Path, folder: Path) -> _Entry:
    """A student's folder: every notebook anywhere under it is theirs."""
    entry = _Entry(source, str(folder), folder.name, folder=True)
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not SKIPPED.search(path.relative_to(folder).as_posix()):
            if path.suffix == ".ipynb":
                entry.notebooks[path] = _mtime(path)
            else:
                entry.others.append(path.name)
    return entry


def _file_entry(path: Path, notebook_name: str) -> _Entry:
    """A file given by path is a submission, notebook or not; named like the week's notebook, its folder's."""
    in_folder = path.name == notebook_name
    entry = _Entry(path, str(path), path.resolve().parent.name if in_folder else path.name, folder=in_folder)
    entry.notebooks[path] = _mtime(path)
    return entry


_unpacked: list[tempfile.TemporaryDirectory] = []  # kept until the process ends


def _zip_entries(archive: Path) -> tuple[list[_Entry], list[Problem]]:
    """The students of an LMS download, their notebooks unpacked; or why the archive is not used, in one line."""
    try:
        zipped = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        return [], [Problem(archive.name, f"{archive}: not a readable zip ({exc}): download it again")]
    with zipped:
        members, why = _members(zipped)
        if why:
            return [], [Problem(archive.name, f"{archive}: {why}; nothing in it was graded: download it again")]
        tmp = tempfile.TemporaryDirectory(prefix="coursekit-zip-")
        _unpacked.append(tmp)
        entries: dict[str, _Entry] = {}
        for parts, info in members:
            entry = entries.setdefault(parts[0], _Entry(archive, f"{archive}:{parts[0]}", parts[0], len(parts) > 1))
            _unpack(zipped, info, parts, entry, Path(tmp.name))
    return list(entries.values()), []


def _members(zipped: zipfile.ZipFile) -> tuple[list[tuple[tuple[str, ...], zipfile.ZipInfo]], str]:
    """The archive's files as relative paths, or what makes it no LMS download (unsafe, repeated or too large)."""
    members: dict[tuple[str, ...], zipfile.ZipInfo] = {}
    for info in zipped.infolist():
        path = PurePosixPath(info.filename)  # its parts leave out "." and empty names
        if path.is_absolute() or ".." in path.parts:
            return [], f"member {info.filename!r} has an unsafe path (absolute, or with ..)"
        parts = path.parts
        if info.is_dir() or not parts or SKIPPED.search(path.as_posix()):
            continue
        if parts in members:
            return [], f"members {members[parts].filename!r} and {info.filename!r} are the same file"
        members[parts] = info
    size = sum(i.file_size for p, i in members.items() if p[-1].endswith(".ipynb") and _fits(i))
    if size > MAX_ZIP_BYTES:
        return [], f"its notebooks unpack to {size >> 20} MB, over the {MAX_ZIP_BYTES >> 20} MB limit"
    return list(members.items()), ""


def _fits(info: zipfile.ZipInfo) -> bool:
    return info.file_size <= MAX_NOTEBOOK_BYTES


def _unpack(zipped: zipfile.ZipFile, info: zipfile.ZipInfo, parts: tuple[str, ...], entry: _Entry, dest: Path) -> None:
    """Unpack a notebook member for `entry` (other files are only named), or note why it could not be."""
    name = "/".join(parts[1:]) or parts[0]
    if not parts[-1].endswith(".ipynb"):  # nested archives included: content, never opened
        entry.others.append(parts[-1])
        return
    if not _fits(info):
        entry.problems.append(f"{name} is {info.file_size >> 20} MB, over the {MAX_NOTEBOOK_BYTES >> 20} MB limit "
                              "per notebook, and was not unpacked")
        return
    target = dest.joinpath(*parts)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipped.open(info) as src, open(target, "xb") as out:  # zipfile stops at the declared size
            shutil.copyfileobj(src, out, 1 << 20)
    except MEMBER_ERRORS as exc:  # a damaged member, or a name the file system refuses: this student's problem
        entry.problems.append(f"{name} could not be unpacked ({exc})")
        return
    entry.notebooks[target] = _member_time(info)


def _identify(entry: _Entry, roster: Roster) -> tuple[str, str]:
    """The entry's student id, and a key: entries with one id but different keys are refused."""
    if roster.by_lms_id:
        match = LMS_ID.search(entry.name)
        if match and match[1] in roster.by_lms_id:  # one LMS id in one download: one student's files
            return roster.by_lms_id[match[1]], f"{entry.source}\0{match[1]}"
    own = entry.name if entry.folder else PurePosixPath(entry.name).stem
    return (_by_name(own, roster.by_name) if roster.by_name else None) or safe_id(own), entry.where


def _by_name(name: str, names: dict[str, str]) -> str | None:
    """The roster student for `name` or one of its tokens: this trusts the name the upload came with."""
    for token in [name, *re.split(r"[_\s\-.]+", name)]:
        key = token.strip().lower()
        for candidate in (key, re.sub(r"\W+", "", key)):
            if candidate in names:
                return names[candidate]
    return None


def _by_student(entries: list[_Entry], roster: Roster) -> tuple[dict[str, list[_Entry]], list[Problem]]:
    """Entries grouped by student id; ids claimed by unrelated entries are refused, naming two of them."""
    groups: dict[str, dict[str, list[_Entry]]] = {}
    for entry in entries:
        student, key = _identify(entry, roster)
        groups.setdefault(student, {}).setdefault(key, []).append(entry)
    kept, problems = {}, []
    for student, by_key in groups.items():
        if len(by_key) == 1:
            kept[student] = next(iter(by_key.values()))
            continue
        first, second = (group[0].where for group in list(by_key.values())[:2])
        problems.append(Problem(student, f"{first} and {second} are both student {student}; neither was graded: "
                                         "keep one of them and rerun"))
    return kept, problems


def _submission(student: str, entries: list[_Entry], notebook_name: str, times: dict[str, datetime]) -> Submission:
    """The student's submission: their preferred notebook, or what they handed in instead."""
    notebooks = {path: when for entry in entries for path, when in entry.notebooks.items()}
    names = {path: entry.name for entry in entries for path in entry.notebooks}  # as the LMS or the folder wrote it
    notes = [p for entry in entries for p in entry.problems]
    if not notebooks:
        others = [o for entry in entries for o in entry.others]
        found = [*notes, ", ".join(others[:3])] if others else notes
        archives = "; archives are not unpacked" if any(o.endswith(".zip") for o in others[:3]) else ""
        return Submission(student, None, times.get(student), source="; ".join(found) + archives)
    ranked = sorted(notebooks, key=lambda path: _rank(path, notebooks[path], notebook_name))
    path = ranked[-1]
    if len(ranked) > 1:
        notes.append(f"{len(ranked)} notebooks found ({', '.join(p.name for p in ranked)}); graded {path.name}")
    when = times.get(student) or times.get(names[path]) or notebooks[path]
    return Submission(student, path, when, "; ".join(notes))


def _rank(path: Path, when: datetime | None, notebook_name: str) -> tuple[bool, float, str]:
    """Later is preferred: named like the week's notebook (Canvas prefixes the uploaded name), newer, then path."""
    named = path.name == notebook_name or path.name.endswith("_" + notebook_name)
    return named, when.timestamp() if when else float("-inf"), str(path)


def _entries(item: Path, notebook_name: str) -> tuple[list[_Entry], list[Problem]]:
    """The student entries of one input, or why it cannot be read."""
    try:
        if item.is_dir():
            return _folder_entries(item), []
        if item.suffix == ".zip":
            return _zip_entries(item)
        return [_file_entry(item, notebook_name)], []
    except OSError as exc:
        return [], [Problem(item.name, f"{item}: cannot be read ({exc.strerror}): check its permissions")]


def find_submissions(
    inputs: list[Path], notebook_name: str, *, roster: Path | None = None, manifest: Path | None = None,
) -> Found:
    """Every submission under `inputs`, one per student, and the inputs or students that cannot be graded."""
    people = read_roster(roster) if roster else Roster()
    times = read_manifest(manifest) if manifest else {}
    entries, problems = [], []
    for item in inputs:
        if not item.exists():
            raise SubmissionError(f"{item}: no such file or folder")
        found, unusable = _entries(item, notebook_name)
        entries += found
        problems += unusable
    groups, refused = _by_student(entries, people)
    submissions = [_submission(student, group, notebook_name, times) for student, group in sorted(groups.items())]
    return Found(submissions, problems + refused)
