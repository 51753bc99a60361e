"""`coursekit export gradescope WEEK`: a Gradescope autograder zip that grades with coursekit.

The zip holds, at its root (where Gradescope looks):

    setup.sh            run once to build the image: Python venv, CPU torch, pinned deps,
                        coursekit from the bundled wheel, bubblewrap if apt has it
    run_autograder      run per submission: `python -m coursekit.gradescope $AUTOGRADER_ROOT`
    requirements.txt    every runtime dependency of coursekit, pinned to the versions here
    wheels/coursekit-<version>-py3-none-any.whl
    bundle/             the reference bundle (coursekit.grading.bundle): config, checks, cached
                        reference outputs on the grading inputs, mistake hints, data;
                        no source/ or solutions/
    README.md           what to choose on Gradescope

Same inputs give the same bytes (fixed timestamps, sorted entries), so a re-export can be
compared with the uploaded one.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import io
import tempfile
import zipfile
from pathlib import Path

from coursekit import __version__
from coursekit.config import Course, Week
from coursekit.files import atomic_path
from coursekit.grading.bundle import write_bundle

TORCH = "torch==2.13.0"  # the CPU build, from the PyTorch index: PyPI's build pulls CUDA (GBs)
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
EXECUTABLE = 0o100755 << 16  # zip external_attr for a regular file with mode 755

SETUP_SH = f"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the grading image (base image: Ubuntu 24.04,
# whose Python 3.12 coursekit supports; 22.04's Python 3.10 is too old).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
export DEBIAN_FRONTEND=noninteractive

apt-get update -q
apt-get install -y -q --no-install-recommends python3 python3-venv python3-pip
# the sandbox; without it grading still applies resource limits, but files are not isolated
apt-get install -y -q --no-install-recommends bubblewrap \\
    || echo "setup.sh: bubblewrap not installed; grading falls back to resource limits"
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \\
    || {{ echo "setup.sh: coursekit needs Python 3.11 or newer; choose the Ubuntu 24.04 base image" >&2; exit 1; }}

python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/pip" install -q --upgrade pip
"$ROOT/venv/bin/pip" install -q --index-url {TORCH_INDEX} {TORCH}
"$ROOT/venv/bin/pip" install -q -r "$HERE/requirements.txt"
"$ROOT/venv/bin/pip" install -q --no-deps "$HERE"/wheels/coursekit-*.whl
"$ROOT/venv/bin/python" -c "import coursekit, torch; print('coursekit', coursekit.__version__, torch.__version__)"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission: it grades $ROOT/submission/*.ipynb and writes
# $ROOT/results/results.json. AUTOGRADER_ROOT relocates /autograder (the tests use a temporary
# folder); AUTOGRADER_PYTHON picks the interpreter (default: the venv setup.sh made).
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PYTHON="${AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}"
exec "$PYTHON" -m coursekit.gradescope "$ROOT"
"""

README = """# {title}: Gradescope autograder for {slug}

Made by `coursekit export gradescope {slug}` (coursekit {version}).

On Gradescope: Programming Assignment, autograder "Zip file upload", base image Ubuntu 24.04
(Python 3.12). Students upload `{notebook}`. Grading reads only `bundle/`: the checks, the
reference outputs on inputs students never see (drawn from bundle.json's input_seed: keep this
zip private to instructors, as Gradescope does), the mistake hints, and the answer key's graded
definitions (key.json: handed to the sandbox only after the notebook has run, so that each
function's checks use the key's other functions). No other solution code is in it.
"""


def requirements() -> list[str]:
    """Pinned `name==version` lines for coursekit's runtime dependencies, what the weeks import (the
    `course` extra: the notebook runs when grading), and their dependencies."""
    from packaging.requirements import Requirement

    pins: dict[str, str] = {}
    todo = [Requirement(r) for r in importlib.metadata.requires("coursekit") or []]
    todo = [r for r in todo if r.marker is None or r.marker.evaluate({"extra": "course"})]
    while todo:
        req = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": ""}) and not req.marker.evaluate(
                {"extra": "course"}):
            continue  # another extra's dependency, or not for this platform
        key = req.name.lower().replace("_", "-")
        if key in pins or key == "torch":
            continue
        try:
            pins[key] = importlib.metadata.version(req.name)
        except importlib.metadata.PackageNotFoundError:
            continue  # an optional dependency not installed here: not needed to grade
        todo += [Requirement(r) for r in importlib.metadata.requires(req.name) or []]
    lines = [f"# installed by setup.sh after {TORCH} from {TORCH_INDEX}", TORCH]
    return lines + [f"{name}=={version}" for name, version in sorted(pins.items())]


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build_wheel() -> tuple[str, bytes]:
    """A pure-Python wheel of the installed coursekit package: (file name, bytes).

    Written directly (no build backend, no network): the package is plain .py files.
    """
    import coursekit

    package = Path(coursekit.__file__).parent
    dist_info = f"coursekit-{__version__}.dist-info"
    files = {f"coursekit/{p.relative_to(package).as_posix()}": p.read_bytes()
             for p in sorted(package.rglob("*.py")) if "__pycache__" not in p.parts}
    requires = [f"Requires-Dist: {r}" for r in importlib.metadata.requires("coursekit") or [] if "extra ==" not in r]
    files[f"{dist_info}/METADATA"] = "\n".join(
        ["Metadata-Version: 2.1", "Name: coursekit", f"Version: {__version__}", "Requires-Python: >=3.11",
         *requires, ""]).encode()
    files[f"{dist_info}/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: coursekit.export\nRoot-Is-Purelib: true\n"
                                   b"Tag: py3-none-any\n")
    files[f"{dist_info}/entry_points.txt"] = b"[console_scripts]\ncoursekit = coursekit.cli:main\n"
    record = [f"{name},{_record_hash(data)},{len(data)}" for name, data in files.items()]
    files[f"{dist_info}/RECORD"] = ("\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as wheel:
        for name, data in files.items():
            _write(wheel, name, data)
    return f"coursekit-{__version__}-py3-none-any.whl", buffer.getvalue()


def _write(archive: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = EXECUTABLE if executable else 0o100644 << 16
    archive.writestr(info, data)


def export_gradescope(course: Course, week: Week, out: Path) -> Path:
    """Write the week's Gradescope autograder zip to `out`; returns `out`."""
    paths = course.paths(week)
    wheel_name, wheel = build_wheel()
    readme = README.format(title=course.title, slug=week.slug, version=__version__, notebook=paths.notebook_name)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="coursekit-export-") as tmp, atomic_path(out) as tmp_zip:
        bundle = write_bundle(course, week, Path(tmp) / "bundle")
        with zipfile.ZipFile(tmp_zip, "w") as archive:
            _write(archive, "setup.sh", SETUP_SH.encode(), executable=True)
            _write(archive, "run_autograder", RUN_AUTOGRADER.encode(), executable=True)
            _write(archive, "requirements.txt", ("\n".join(requirements()) + "\n").encode())
            _write(archive, "README.md", readme.encode())
            _write(archive, f"wheels/{wheel_name}", wheel)
            for path in sorted(p for p in bundle.rglob("*") if p.is_file()):
                _write(archive, f"bundle/{path.relative_to(bundle).as_posix()}", path.read_bytes())
    return out
