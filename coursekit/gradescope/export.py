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

import tempfile
import zipfile
from pathlib import Path

from coursekit import __version__
from coursekit.config import Course, Week
from coursekit.distribution import TORCH, TORCH_CPU_INDEX, kit_wheel, pinned_requirements
from coursekit.files import add_to_zip, atomic_path
from coursekit.grading.bundle import write_bundle

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
"$ROOT/venv/bin/pip" install -q --index-url {TORCH_CPU_INDEX} {TORCH}
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
    """requirements.txt: torch (installed first by setup.sh), then every other package pinned."""
    lines = [f"# installed by setup.sh after {TORCH} from {TORCH_CPU_INDEX}", TORCH]
    return lines + [f"{name}=={version}" for name, version in pinned_requirements().items()]


def export_gradescope(course: Course, week: Week, out: Path) -> Path:
    """Write the week's Gradescope autograder zip to `out`; returns `out`."""
    paths = course.paths(week)
    wheel_name, wheel = kit_wheel()
    readme = README.format(title=course.title, slug=week.slug, version=__version__, notebook=paths.notebook_name)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="coursekit-export-") as tmp, atomic_path(out) as tmp_zip:
        bundle = write_bundle(course, week, Path(tmp) / "bundle")
        with zipfile.ZipFile(tmp_zip, "w") as archive:
            add_to_zip(archive, "setup.sh", SETUP_SH.encode(), executable=True)
            add_to_zip(archive, "run_autograder", RUN_AUTOGRADER.encode(), executable=True)
            add_to_zip(archive, "requirements.txt", ("\n".join(requirements()) + "\n").encode())
            add_to_zip(archive, "README.md", readme.encode())
            add_to_zip(archive, f"wheels/{wheel_name}", wheel)
            for path in sorted(p for p in bundle.rglob("*") if p.is_file()):
                add_to_zip(archive, f"bundle/{path.relative_to(bundle).as_posix()}", path.read_bytes())
    return out
