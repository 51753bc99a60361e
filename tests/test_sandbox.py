"""The sandbox: what learner code can see, touch and use (plain Python, no torch: these run fast)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coursekit.config import Limits
from coursekit.engine import sandbox
from coursekit.engine.sandbox import UNSANDBOXED_ENV, Bubblewrap, Rlimits, bubblewrap_works, uid_for
from coursekit.engine.zygote import empty, read_tree

ROOT = Path(__file__).resolve().parents[1]
LIMITS = Limits(memory_mb=1024, max_processes=16, max_file_mb=1)

PROBE = """
import json, os, resource, socket
report = {"uid": os.getuid(), "groups": os.getgroups()}
report["caps"] = [l.split()[1] for l in open("/proc/self/status") if l.startswith("CapEff")][0]
report["pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
report["visible"] = {p: os.path.exists(p) for p in %(paths)r}
try:
    socket.create_connection(("1.1.1.1", 53), timeout=2)
    report["network"] = "open"
except OSError as exc:
    report["network"] = str(exc)
try:
    open("/usr/coursekit-test", "w")
    report["usr"] = "writable"
except OSError:
    report["usr"] = "read-only"
open(%(writable)r + "/made-inside", "w").write("x")
try:
    open("/tmp/big", "wb").write(bytes(2 << 20))
    report["big"] = "written"
except OSError as exc:
    report["big"] = exc.strerror
report["nproc"] = resource.getrlimit(resource.RLIMIT_NPROC)[0]
report["as_mb"] = resource.getrlimit(resource.RLIMIT_AS)[0] >> 20
print(json.dumps(report))
"""


def run_probe(sandbox, tmp_path: Path) -> dict:
    writable = tmp_path / "out"
    writable.mkdir()
    readable = tmp_path / "given.txt"
    readable.write_text("given")
    marker = Path("/tmp") / f"coursekit-host-file-{os.getpid()}"  # the host's /tmp, not the sandbox's
    marker.write_text("host")
    paths = [str(ROOT / "source"), str(ROOT / "autograder"), str(ROOT / "solutions"), str(ROOT / "coursekit"),
             str(readable), "/root", str(Path.home() / ".ssh"), str(marker)]
    code = PROBE % {"paths": paths, "writable": str(writable)}
    argv = sandbox.command([sys.executable, "-c", code], workdir=tmp_path, readable=[readable], writable=[writable])
    done = subprocess.run(argv, capture_output=True, text=True, preexec_fn=sandbox.preexec(), timeout=120)
    marker.unlink()
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (writable / "made-inside").exists()
    return report | {"readable": str(readable), "marker": str(marker)}


@pytest.mark.skipif(not bubblewrap_works(), reason="needs a working bubblewrap (apt install bubblewrap)")
def test_bubblewrap_confines_files_network_user_and_limits(tmp_path):
    report = run_probe(Bubblewrap(LIMITS, uid=65534 - 3, cpu_s=30), tmp_path)
    if os.geteuid() == 0:
        assert report["uid"] == 65534 - 3 and report["groups"] == []
    assert int(report["caps"], 16) == 0
    assert report["pids"] == [1, 2]  # its own PID namespace: bwrap's init and the probe
    visible = report["visible"]
    assert not any(visible[str(ROOT / d)] for d in ("source", "autograder", "solutions"))
    assert visible[str(ROOT / "coursekit")] and visible[report["readable"]]
    assert not visible[str(Path.home() / ".ssh")]
    assert not visible[report["marker"]] and report["usr"] == "read-only"
    assert "unreachable" in report["network"] or "Network" in report["network"]
    assert report["big"] == "File too large"
    assert report["nproc"] == LIMITS.max_processes and report["as_mb"] == LIMITS.memory_mb


def test_rlimits_fallback_applies_the_limits(tmp_path):
    report = run_probe(Rlimits(LIMITS, cpu_s=30), tmp_path)
    assert report["big"] == "File too large"
    assert report["nproc"] == LIMITS.max_processes and report["as_mb"] == LIMITS.memory_mb
    assert "unreachable" in report["network"] or "Network" in report["network"]


@pytest.mark.skipif(os.geteuid() != 0, reason="only a grader running as root could run learner code as root")
def test_without_bubblewrap_root_drops_to_the_workers_uid_or_refuses(monkeypatch):
    monkeypatch.setattr(sandbox, "bubblewrap_works", lambda: False)
    monkeypatch.delenv(UNSANDBOXED_ENV, raising=False)
    monkeypatch.setattr(sandbox, "runs_python", lambda uid: True)
    assert sandbox.choose(LIMITS, worker=2).uid == uid_for(2)
    monkeypatch.setattr(sandbox, "runs_python", lambda uid: False)  # e.g. the interpreter lives under /root
    with pytest.raises(RuntimeError, match=UNSANDBOXED_ENV):
        sandbox.choose(LIMITS, worker=2)
    monkeypatch.setenv(UNSANDBOXED_ENV, "1")  # the operator's explicit choice (a container per submission)
    assert sandbox.choose(LIMITS, worker=2).uid is None


def test_read_tree_takes_regular_files_only(tmp_path):
    out = tmp_path / "out"
    (out / "outputs" / "submission").mkdir(parents=True)
    (out / "cells.json").write_text("[]")
    (out / "outputs" / "submission" / "a.npz").write_bytes(b"zip")
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    (out / "outputs" / "submission" / "b.npz").symlink_to(secret)
    (out / "outputs" / "linked").symlink_to(tmp_path)
    os.mkfifo(out / "progress.json")
    files = read_tree(str(out), max_bytes=1 << 20)
    assert set(files) == {"cells.json", "outputs/submission/a.npz"}
    assert base64.b64decode(files["outputs/submission/a.npz"]) == b"zip"
    assert read_tree(str(out), max_bytes=2) == {"cells.json": base64.b64encode(b"[]").decode()}


def test_empty_removes_what_learner_code_locked(tmp_path):
    locked = tmp_path / "a" / "b"
    locked.mkdir(parents=True)
    (locked / "f").write_text("x")
    locked.chmod(0)
    (tmp_path / "a").chmod(0)
    (tmp_path / "link").symlink_to("/etc")
    empty(str(tmp_path))
    assert list(tmp_path.iterdir()) == [] and Path("/etc").is_dir()
