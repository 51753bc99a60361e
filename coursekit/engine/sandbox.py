"""Sandboxes that run learner code: bubblewrap where it works, resource limits alone where not.

A sandbox (the `Sandbox` protocol) turns a command into one that runs confined (`command`) and
gives the function the child runs before exec (`preexec`), as the grading fork server
(`coursekit.engine.forkserver`) expects.

`Bubblewrap`:
- namespaces: new mount, PID, IPC, network (loopback only), UTS and cgroup namespaces;
  `--die-with-parent`, `--new-session` (no terminal to inject keystrokes into).
- files: read-only /usr, /etc and /lib*, the Python installation, the virtual environment and
  the coursekit package; fresh size-limited tmpfs at /tmp, /dev/shm and /dev/mqueue; then only
  the paths the run names (`readable` read-only, `writable` read-write). No source/,
  autograder/, solutions/, other submissions, home folders or /var.
- user: started as root, bwrap builds the mounts without a user namespace and `setpriv` drops to
  an unprivileged uid (no groups, no capabilities, no_new_privs) before Python starts. Dropping
  before bwrap is not possible on a host like ours: the interpreter lives under /root (mode
  700), which an unprivileged uid cannot reach to bind. Started as another user, bwrap makes a
  user namespace and the run keeps that user's uid.
- limits, set in `preexec` and inherited: RLIMIT_AS, RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_NPROC,
  no core files. RLIMIT_NPROC counts per uid and root is exempt from it: hence the drop, and a
  uid of its own per worker (`uid_for`), so one submission's fork bomb cannot starve another's.

`Rlimits` (no working bwrap): the same limits, and a private network namespace where
`unshare --net` works; files are not isolated. `choose` announces it once per process.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Protocol

from coursekit.config import Limits

NOBODY = 65534  # the first worker's uid; worker i uses NOBODY - i
MB = 1 << 20
SYSTEM_DIRS = ("/usr", "/etc")  # bound read-only; /bin, /lib... follow as links or binds
SYSTEM_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ENV = {  # the whole environment inside: nothing of the grader's leaks in
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": "/tmp",
    "TMPDIR": "/tmp",
    "LANG": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONHASHSEED": "0",
    "MPLBACKEND": "Agg",
    "MPLCONFIGDIR": "/tmp/matplotlib",
    "IPYTHONDIR": "/tmp/ipython",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


class Sandbox(Protocol):
    """What the fork server needs of a sandbox: a confined command line, and limits set before exec."""

    name: str  # said in logs and error messages

    def command(
        self, argv: list[str], *, workdir: Path, readable: list[Path] = (), writable: list[Path] = (),
        tmpfs: list[Path] = (), binds: dict[Path, Path] | None = None,
    ) -> list[str]:
        """`argv` wrapped so it runs confined, in `workdir`, seeing `readable`, `writable`, `tmpfs` and `binds`."""
        ...

    def preexec(self) -> Callable[[], None]:
        """What the child runs before exec: resource limits, inherited by everything it starts."""
        ...


def uid_for(worker: int) -> int:
    """The unprivileged uid of worker `worker` (0-based)."""
    return NOBODY - worker


def python_paths() -> list[Path]:
    """What the sandboxed interpreter needs: its installation, the venv, the coursekit package."""
    import coursekit

    paths = [Path(sys.base_prefix), Path(sys.prefix), Path(coursekit.__file__).parent]
    return sorted({p.resolve() for p in paths})


def set_limits(limits: Limits, cpu_s: float | None) -> None:
    """Apply the course's limits to this process (inherited by everything it starts)."""
    memory = limits.memory_mb * MB
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.max_file_mb * MB, limits.max_file_mb * MB))
    resource.setrlimit(resource.RLIMIT_NPROC, (limits.max_processes, limits.max_processes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if cpu_s is not None:
        seconds = int(cpu_s) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))  # SIGXCPU first, SIGKILL 5 s later


class Bubblewrap:
    """Runs a command in a bubblewrap sandbox as an unprivileged uid, with rlimits."""

    name = "bubblewrap"

    def __init__(self, limits: Limits, *, uid: int = NOBODY, cpu_s: float | None = None, tmpfs_mb: int | None = None):
        self.limits = limits
        self.uid = uid
        self.cpu_s = cpu_s  # None: no CPU limit here (the fork server sets one per child)
        self.tmpfs_mb = tmpfs_mb or 4 * limits.max_file_mb  # each of /tmp, /dev/shm and private tmpfs folders
        self.as_root = os.geteuid() == 0

    def _namespaces(self) -> list[str]:
        if self.as_root:  # no user namespace: its 0 -> 0 mapping would leave no uid to drop to
            return ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
        return ["--unshare-all"]

    def _tmpfs(self, path: str) -> list[str]:
        return ["--perms", "1777", "--size", str(self.tmpfs_mb * MB), "--tmpfs", path]

    def command(
        self, argv: list[str], *, workdir: Path, readable: list[Path] = (), writable: list[Path] = (),
        tmpfs: list[Path] = (), binds: dict[Path, Path] | None = None,
    ) -> list[str]:
        """`argv` wrapped in bwrap. `readable` and `writable` host paths appear at the same paths
        (writable ones are handed to the sandbox's uid); `binds` maps a sandbox path to the host
        folder shown there read-only; `tmpfs` are extra private, size-limited folders (/job)."""
        args = ["bwrap", *self._namespaces(), "--die-with-parent", "--new-session", "--clearenv"]
        for key, value in ENV.items():
            args += ["--setenv", key, value]
        system = [Path(d) for d in SYSTEM_DIRS if Path(d).is_dir()]
        for path in system:
            args += ["--ro-bind", str(path), str(path)]
        for link in SYSTEM_LINKS:
            if os.path.islink(link):
                args += ["--symlink", os.readlink(link), link]
            elif os.path.isdir(link):
                args += ["--ro-bind", link, link]
                system.append(Path(link))
        args += ["--proc", "/proc", "--dev", "/dev", *self._tmpfs("/tmp"), *self._tmpfs("/dev/shm")]
        args += ["--mqueue", "/dev/mqueue"]

        mounts: list[tuple[str, Path, Path]] = [("--ro-bind", p, p) for p in python_paths()]
        mounts += [("--ro-bind", host.resolve(), inside) for inside, host in (binds or {}).items()]
        mounts += [("--ro-bind", p.resolve(), p.resolve()) for p in readable]
        mounts += [("--bind", p.resolve(), p.resolve()) for p in writable]
        mounts += [("--tmpfs", Path(), p) for p in tmpfs]
        made: set[Path] = set()
        for _, _, inside in mounts:  # parents bwrap would make 0700, which the dropped uid could not enter
            for parent in reversed(inside.parents):
                if parent in made or parent == Path("/") or any(parent.is_relative_to(s) for s in system):
                    continue
                args += ["--perms", "0755", "--dir", str(parent)]
                made.add(parent)
        for kind, host, inside in mounts:
            args += self._tmpfs(str(inside)) if kind == "--tmpfs" else [kind, str(host), str(inside)]
        if self.as_root:
            for path in writable:  # handed to the uid the run drops to
                os.chown(path, self.uid, self.uid)
        args += ["--chdir", str(workdir)]
        if self.as_root:
            args += ["--", "setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups",
                     "--inh-caps=-all", "--bounding-set=-all"]
        return [*args, "--", *argv]

    def preexec(self) -> Callable[[], None]:
        return lambda: set_limits(self.limits, self.cpu_s)


class Rlimits:
    """The fallback without bubblewrap: rlimits, and no network where `unshare --net` works."""

    name = "rlimits only (bubblewrap not available: files are not isolated)"

    def __init__(self, limits: Limits, *, uid: int = NOBODY, cpu_s: float | None = None, tmpfs_mb: int | None = None):
        self.limits = limits
        self.cpu_s = cpu_s

    def command(
        self, argv: list[str], *, workdir: Path, readable: list[Path] = (), writable: list[Path] = (),
        tmpfs: list[Path] = (), binds: dict[Path, Path] | None = None,
    ) -> list[str]:
        """`argv` without network where possible; the paths are not isolated (the caller lays out `workdir`)."""
        return [*_unshare_net(), *argv]

    def preexec(self) -> Callable[[], None]:
        return lambda: set_limits(self.limits, self.cpu_s)


@cache
def _unshare_net() -> tuple[str, ...]:
    """`unshare --net` (mapping the user to root where not root) if it works here, else nothing."""
    prefix = ("unshare", "--net") if os.geteuid() == 0 else ("unshare", "--net", "--map-root-user")
    try:
        ok = subprocess.run([*prefix, "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    return (*prefix, "--") if ok else ()


@cache
def bubblewrap_works() -> bool:
    """Whether bwrap is installed and can make this host's sandbox (tried once per process)."""
    if shutil.which("bwrap") is None:
        return False
    probe = Bubblewrap(Limits())
    argv = probe.command(["true"], workdir=Path("/"))
    try:
        return subprocess.run(argv, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


_announced = False


def choose(limits: Limits, *, worker: int = 0, cpu_s: float | None = None) -> Sandbox:
    """Bubblewrap if it works here, else Rlimits (said once on stderr)."""
    global _announced
    if bubblewrap_works():
        return Bubblewrap(limits, uid=uid_for(worker), cpu_s=cpu_s)
    if not _announced:
        _announced = True
        root = " and, as root, without a process limit" if os.geteuid() == 0 else ""
        print(f"coursekit: bubblewrap (bwrap) is not available: grading runs learner code with rlimits only, "
              f"without file isolation{root}; install the bubblewrap package", file=sys.stderr)
    return Rlimits(limits, cpu_s=cpu_s)
