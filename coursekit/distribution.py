"""The kit as something to install elsewhere: its wheel and the pinned packages it needs.

Both exports use these: Gradescope's autograder zip and the GitHub Classroom starter repository.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import io
import zipfile
from pathlib import Path

from coursekit import __version__
from coursekit.files import add_to_zip

TORCH = "torch==2.13.0"  # the course's pin; PyPI's Linux wheel is the multi-GB CUDA build
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def kit_wheel() -> tuple[str, bytes]:
    """A pure-Python wheel of the installed coursekit package: (file name, bytes).

    Written directly rather than by `pip wheel` (no build backend, no network, milliseconds): the
    package is plain .py files. Sorted entries with fixed times: the same kit gives the same bytes,
    so a hash of the wheel pins the kit.
    """
    package = Path(__file__).parent
    dist_info = f"coursekit-{__version__}.dist-info"
    files = {f"coursekit/{p.relative_to(package).as_posix()}": p.read_bytes()
             for p in sorted(package.rglob("*.py")) if "__pycache__" not in p.parts}
    requires = [f"Requires-Dist: {r}" for r in importlib.metadata.requires("coursekit") or []]
    files[f"{dist_info}/METADATA"] = "\n".join(
        ["Metadata-Version: 2.1", "Name: coursekit", f"Version: {__version__}", "Requires-Python: >=3.11",
         *requires, ""]).encode()
    files[f"{dist_info}/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: coursekit.distribution\nRoot-Is-Purelib: true\n"
                                   b"Tag: py3-none-any\n")
    files[f"{dist_info}/entry_points.txt"] = b"[console_scripts]\ncoursekit = coursekit.cli:main\n"
    record = [f"{name},{_record_hash(data)},{len(data)}" for name, data in files.items()]
    files[f"{dist_info}/RECORD"] = ("\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as wheel:
        for name, data in files.items():
            add_to_zip(wheel, name, data)
    return f"coursekit-{__version__}-py3-none-any.whl", buffer.getvalue()


def installed_version(name: str) -> str | None:
    """The installed version of a distribution, without a local label (2.13.0+cpu -> 2.13.0)."""
    try:
        return importlib.metadata.version(name).split("+")[0]
    except importlib.metadata.PackageNotFoundError:
        return None


def pinned_requirements(extras: tuple[str, ...] = ("course",)) -> dict[str, str]:
    """Every distribution the kit needs here (its dependencies and `extras`: what the weeks import),
    transitively -> its installed version; torch and the kit itself are left to the caller.

    Markers are evaluated for this machine; a requirement not installed here (another platform's,
    an optional one) is left to pip.
    """
    from packaging.requirements import Requirement  # a matplotlib dependency, so always present
    from packaging.utils import canonicalize_name

    pins: dict[str, str] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    todo = [Requirement(f"coursekit[{','.join(extras)}]")]
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        version = installed_version(req.name)
        if version is None or (name, frozenset(req.extras)) in seen:
            continue
        seen.add((name, frozenset(req.extras)))
        pins[name] = version
        for line in importlib.metadata.requires(req.name) or []:
            sub = Requirement(line)
            if sub.marker is None or any(sub.marker.evaluate({"extra": e}) for e in ("", *req.extras)):
                todo.append(sub)
    return {n: v for n, v in sorted(pins.items()) if n not in ("torch", "coursekit")}
