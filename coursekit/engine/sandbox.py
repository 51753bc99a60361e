"""Sandboxes that run learner code: bubblewrap where it works, resource limits alone where not.

A sandbox (the `Sandbox` protocol) turns a command into one that runs confined (`command`) and
gives the function the child runs before exec (`preexec`), as the grading fork server
(`coursekit.engine.forkserver`) expects. `Cgroup` bounds the processes and memory of a whole
sandbox, whichever kind.

`Bubblewrap`:
- namespaces: new user, mount, PID, IPC, network (loopback only), UTS and cgroup namespaces;
  `--die-with-parent`, `--new-session` (no terminal to inject keystrokes into).
- files: read-only /usr, /etc and /lib*, the Python installation, the virtual environment and
  the coursekit package; fresh size-limited tmpfs at /tmp, /dev/shm and /dev/mqueue; then only
  the paths the run names (`readable` read-only, `writable` read-write). No source/,
  autograder/, solutions/, other submissions, home folders or /var.
- user: bwrap itself runs as the worker's unprivileged uid (`uid_for`) and makes a user
  namespace mapping only that uid, so nothing inside is root or keeps a capability. A grader
  running as root drops to that uid in `preexec`, after showing bwrap the folders it binds
  through a private staging tmpfs (`_stage`): bwrap resolves every source path as the uid,
  which cannot enter /root (where the interpreter may live) or a 0700 temporary folder.
  Running bwrap unprivileged also leaves /proc uncovered (bwrap as root covers /proc/sys and
  others with bind mounts, which forbid mounting a fresh /proc further in), so the fork server
  can give every submission a PID namespace and a /proc of its own (coursekit.engine.zygote).
- limits, set in `preexec` and inherited: every rlimit (`limits_table`), from `course_config.py`
  for RLIMIT_AS, RLIMIT_CPU, RLIMIT_FSIZE and RLIMIT_NPROC, no core files. RLIMIT_NPROC counts
  per uid and root is exempt from it: hence a uid of its own per worker.

`Rlimits` (no working bwrap): the same limits, no network, files not isolated. A grader running
as root drops to the worker's uid where that uid can run the interpreter; otherwise `choose`
refuses, unless UNSANDBOXED_ENV is set (the operator accepts learner code running as root, e.g.
in a container per submission). `choose` announces the fallback once per process.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Protocol

from coursekit.config import Limits

NOBODY = 65534  # the first worker's uid; worker i uses NOBODY - i
MB = 1 << 20
SYSTEM_DIRS = ("/usr", "/etc")  # bound read-only; /bin, /lib... follow as links or binds
SYSTEM_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
STAGE = "/tmp"  # where a root grader shows bwrap what it binds (a tmpfs in a private mount namespace)
UNSANDBOXED_ENV = "COURSEKIT_UNSANDBOXED"  # "1": without bwrap, a root grader may run learner code as root
SANDBOX_PROCESSES = 16  # over the course's max_processes in a sandbox's cgroup: bwrap, the zygote and its helpers
CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x10000000, 0x20000000, 0x40000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_BIND, MS_REC, MS_PRIVATE = 0x2, 0x4, 0x8, 0x1000, 0x4000, 0x40000
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
    uid: int | None  # the uid learner code runs as when the grader is root (None: the grader's own)
    isolates: bool  # files and processes are isolated: the zygote may nest namespaces inside

    def command(
        self, argv: list[str], *, workdir: Path, readable: list[Path] = (), writable: list[Path] = (),
        tmpfs: list[Path] = (), binds: dict[Path, Path] | None = None,
    ) -> list[str]:
        """`argv` wrapped so it runs confined, in `workdir`, seeing `readable`, `writable`, `tmpfs` and `binds`."""
        ...

    def preexec(self) -> Callable[[], None]:
        """What the child runs before exec (limits, then dropping to `uid`), for the last `command`."""
        ...


def uid_for(worker: int) -> int:
    """The unprivileged uid of worker `worker` (0-based)."""
    return NOBODY - worker


def python_paths() -> list[Path]:
    """What the sandboxed interpreter needs: its installation, the venv, the coursekit package."""
    import coursekit

    paths = [Path(sys.base_prefix), Path(sys.prefix), Path(coursekit.__file__).parent]
    return sorted({p.resolve() for p in paths})


# --- resource limits -------------------------------------------------------------------------

def limits_table(limits: Limits, cpu_s: float | None) -> dict[str, tuple[int, int]]:
    """Every rlimit a sandbox starts with, by name: the course's, else this process's own.

    The zygote sets them all again before each fork and checks them (coursekit.engine.zygote).
    """
    table = {name: resource.getrlimit(getattr(resource, name)) for name in dir(resource)
             if name.startswith("RLIMIT_")}
    memory, files = limits.memory_mb * MB, limits.max_file_mb * MB
    table |= {"RLIMIT_AS": (memory, memory), "RLIMIT_FSIZE": (files, files), "RLIMIT_CORE": (0, 0),
              "RLIMIT_NPROC": (limits.max_processes, limits.max_processes)}
    if cpu_s is not None:
        seconds = int(cpu_s) + 1
        table["RLIMIT_CPU"] = (seconds, seconds + 5)  # SIGXCPU first, SIGKILL 5 s later
    return table


def set_limits(table: dict[str, tuple[int, int]]) -> None:
    """Apply `table` (from `limits_table`) to this process; inherited by everything it starts."""
    for name, value in table.items():
        resource.setrlimit(getattr(resource, name), value)


# --- becoming the sandbox's user (in preexec, as root) ---------------------------------------

def libc_call(name: str, *args: object) -> None:
    """Call libc's `name` (a system call wrapper that returns 0 on success), raising OSError when it fails."""
    libc = ctypes.CDLL(None, use_errno=True)
    if getattr(libc, name)(*args) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{name}: {os.strerror(errno)}")


def drop_to(uid: int) -> None:
    """Become `uid` (its own gid, no groups) for good."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def _stage(sources: list[Path]) -> None:
    """Show `sources` at STAGE/0, STAGE/1... in a private mount namespace of this process.

    A root grader runs this before dropping to the sandbox's uid: bwrap then binds them from
    there without walking their real, possibly unreadable, parent folders.
    """
    libc_call("unshare", CLONE_NEWNS)
    libc_call("mount", None, b"/", None, MS_REC | MS_PRIVATE, None)  # nothing of this reaches the host
    fds = [os.open(source, os.O_PATH | os.O_CLOEXEC) for source in sources]  # before STAGE is covered
    libc_call("mount", b"tmpfs", STAGE.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, b"mode=0755,size=64k")
    for index, fd in enumerate(fds):
        target = f"{STAGE}/{index}"
        if os.path.isdir(f"/proc/self/fd/{fd}"):
            os.mkdir(target)
        else:
            os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))
        libc_call("mount", f"/proc/self/fd/{fd}".encode(), target.encode(), None, MS_BIND | MS_REC, None)
        os.close(fd)


class Bubblewrap:
    """Runs a command in a bubblewrap sandbox as an unprivileged uid, with rlimits."""

    name = "bubblewrap"
    isolates = True

    def __init__(self, limits: Limits, *, uid: int = NOBODY, cpu_s: float | None = None, tmpfs_mb: int | None = None):
        self.limits = limits
        self.cpu_s = cpu_s  # None: no CPU limit here (the fork server sets one per child)
        self.tmpfs_mb = tmpfs_mb or 4 * limits.max_file_mb  # each of /tmp, /dev/shm and private tmpfs folders
        self.uid = uid if os.geteuid() == 0 else None
        self.staged: list[Path] = []  # the last command's bind sources, shown to bwrap by `preexec`

    def _tmpfs(self, path: str) -> list[str]:
        return ["--perms", "1777", "--size", str(self.tmpfs_mb * MB), "--tmpfs", path]

    def _source(self, host: Path) -> str:
        """Where bwrap finds `host`: staged when the grader is root, else its own path."""
        if self.uid is None:
            return str(host)
        self.staged.append(host)
        return f"{STAGE}/{len(self.staged) - 1}"

    def command(
        self, argv: list[str], *, workdir: Path, readable: list[Path] = (), writable: list[Path] = (),
        tmpfs: list[Path] = (), binds: dict[Path, Path] | None = None,
    ) -> list[str]:
        """`argv` wrapped in bwrap. `readable` and `writable` host paths appear at the same paths
        (writable ones are handed to the sandbox's uid); `binds` maps a sandbox path to the host
        folder shown there read-only; `tmpfs` are extra private, size-limited folders (/job)."""
        args = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--clearenv"]
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
        self.staged = []
        for kind, host, inside in mounts:
            args += self._tmpfs(str(inside)) if kind == "--tmpfs" else [kind, self._source(host), str(inside)]
        if self.uid is not None:
            for path in writable:  # handed to the uid the run drops to
                os.chown(path, self.uid, self.uid)
        args += ["--remount-ro", "/"]  # the root bwrap builds: nothing written there reaches the next submission
        args += ["--chdir", str(workdir)]
        return [*args, "--", *argv]

    def preexec(self) -> Callable[[], None]:
        table, uid, staged = limits_table(self.limits, self.cpu_s), self.uid, list(self.staged)

        def confine() -> None:
            set_limits(table)
            if uid is not None:
                _stage(staged)
                drop_to(uid)
        return confine


class Rlimits:
    """The fallback without bubblewrap: rlimits, no network, and an unprivileged uid where it can run Python."""

    name = "rlimits only (bubblewrap not available: files are not isolated)"
    isolates = False

    def __init__(self, limits: Limits, *, uid: int | None = None, cpu_s: float | None = None):
        self.limits = limits
        self.cpu_s = cpu_s
        self.uid = uid if os.geteuid() == 0 else None

    def command(
        self, argv: list[str], *, workdir: Path, readable: list[Path] = (), writable: list[Path] = (),
        tmpfs: list[Path] = (), binds: dict[Path, Path] | None = None,
    ) -> list[str]:
        """`argv` without network; the paths are not isolated (the caller lays out `workdir`)."""
        if self.uid is not None:
            for path in writable:
                os.chown(path, self.uid, self.uid)
        return list(argv) if os.geteuid() == 0 else [*_unshare_net(), *argv]  # root: `preexec` unshares

    def preexec(self) -> Callable[[], None]:
        table, uid = limits_table(self.limits, self.cpu_s), self.uid

        def confine() -> None:
            set_limits(table)
            if os.geteuid() == 0:
                libc_call("unshare", CLONE_NEWNET)  # a network namespace with only a loopback, which is down
            if uid is not None:
                drop_to(uid)
        return confine


@cache
def _unshare_net() -> tuple[str, ...]:
    """`unshare --net --map-root-user` (not root: a user namespace to make it in) if it works here, else nothing."""
    prefix = ("unshare", "--net", "--map-root-user")
    try:
        ok = subprocess.run([*prefix, "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    return (*prefix, "--") if ok else ()


@cache
def bubblewrap_works() -> bool:
    """Whether bwrap is installed and can make this host's sandbox, namespaces the zygote makes
    inside included (tried once per process; a host may forbid user namespaces to all but bwrap)."""
    if shutil.which("bwrap") is None:
        return False
    probe = Bubblewrap(Limits())
    nested = ["unshare", "--map-root-user", "--pid", "--mount", "--fork", "--mount-proc", "true"]  # as the zygote does
    argv = probe.command(nested, workdir=Path("/"))
    try:
        return subprocess.run(argv, capture_output=True, timeout=30, preexec_fn=probe.preexec()).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@cache
def runs_python(uid: int) -> bool:
    """Whether `uid` can start this interpreter and import coursekit (tried once per uid)."""
    argv = [sys.executable, "-P", "-c", "import coursekit"]
    try:
        return subprocess.run(argv, capture_output=True, timeout=60, cwd="/",
                              preexec_fn=lambda: drop_to(uid)).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


_announced = False


def choose(limits: Limits, *, worker: int = 0, cpu_s: float | None = None) -> Sandbox:
    """Bubblewrap if it works here, else Rlimits (said once on stderr).

    RuntimeError when only learner code running as root is left and UNSANDBOXED_ENV does not allow it.
    """
    global _announced
    if bubblewrap_works():
        return Bubblewrap(limits, uid=uid_for(worker), cpu_s=cpu_s)
    uid = uid_for(worker) if os.geteuid() == 0 else None
    if uid is not None and not runs_python(uid):
        if os.environ.get(UNSANDBOXED_ENV) != "1":
            raise RuntimeError(
                f"bubblewrap (bwrap) is not available and uid {uid} cannot run {sys.executable}: learner code would "
                f"run as root. Install bubblewrap, grade as an unprivileged user, or accept the risk explicitly "
                f"(--allow-unsandboxed, or {UNSANDBOXED_ENV}=1) where each submission has a container of its own")
        uid = None
    if not _announced:
        _announced = True
        who = f" as uid {uid}" if uid is not None else (" as root" if os.geteuid() == 0 else "")
        print(f"coursekit: bubblewrap (bwrap) is not available: grading runs learner code{who} with rlimits only, "
              f"without file isolation; install the bubblewrap package", file=sys.stderr)
    return Rlimits(limits, uid=uid, cpu_s=cpu_s)


# --- cgroups ---------------------------------------------------------------------------------

_names = itertools.count()


def _mounts() -> dict[str, Path]:
    """Where each cgroup hierarchy is mounted: "" for cgroup2, else each v1 controller."""
    found: dict[str, Path] = {}
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        fstype, options = fields[-3], fields[-1]
        if fields[3] != "/":  # a bind of a subtree (cgroup namespace): paths below would not line up
            continue
        if fstype == "cgroup2":
            found.setdefault("", Path(fields[4]))
        elif fstype == "cgroup":
            for controller in ("pids", "memory"):
                if controller in options.split(","):
                    found.setdefault(controller, Path(fields[4]))
    return found


def _own_paths() -> dict[str, str]:
    """This process's cgroup in each hierarchy: "" for cgroup2, else by v1 controller."""
    paths = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            paths[controller] = path
    return paths


def _sweep(folder: Path) -> None:
    """Delete the empty cgroups graders that are gone left in `folder` (one killed before its cleanup)."""
    for entry in folder.glob("coursekit-*-*"):
        owner = entry.name.split("-")[1]
        if owner.isdigit() and not Path(f"/proc/{owner}").exists():
            with contextlib.suppress(OSError):  # not empty: processes still run there
                entry.rmdir()


class Cgroup:
    """A cgroup bounding one sandbox's processes and memory: cgroup v2 where its controllers can be
    used, else the v1 pids and memory hierarchies. The grader makes it beside itself (root only);
    the sandbox's first process joins it in `preexec`, and everything it starts stays inside.
    Submissions never overlap in a sandbox and none outlives its turn, so its limits bound each one."""

    def __init__(self, dirs: dict[str, Path]):
        self.dirs = dirs  # "" -> the v2 folder; or "pids" and "memory" -> the v1 folders
        self.v2 = "" in dirs

    @classmethod
    def make(cls) -> Cgroup | None:
        """A fresh cgroup beside this process's own, or None where none can be made and limited."""
        if os.geteuid() != 0:
            return None
        name = f"coursekit-{os.getpid()}-{next(_names)}"
        mounts, own = _mounts(), _own_paths()
        for controllers in (("",), ("pids", "memory")):
            if all(c in mounts and c in own for c in controllers):
                for c in controllers:
                    _sweep(mounts[c] / own[c].lstrip("/"))
                group = cls({c: mounts[c] / own[c].lstrip("/") / name for c in controllers})
                if group._create():
                    return group
        return None

    def _create(self) -> bool:
        """Make the folders; False (leaving none) where the pids and memory limits are not there to set."""
        if self.v2:  # children get the controllers only if enabled here (refused where processes live)
            with contextlib.suppress(OSError):
                (self.dirs[""].parent / "cgroup.subtree_control").write_text("+pids +memory")
        try:
            for folder in self.dirs.values():
                folder.mkdir(exist_ok=True)
        except OSError:
            self.remove()
            return False
        if self._file("pids", "pids.max", "pids.max").exists() and self._memory_limit().exists():
            return True
        self.remove()
        return False

    def _file(self, controller: str, v2: str, v1: str) -> Path:
        return self.dirs[""] / v2 if self.v2 else self.dirs[controller] / v1

    def _memory_limit(self) -> Path:
        return self._file("memory", "memory.max", "memory.limit_in_bytes")

    def limit(self, processes: int, memory: int) -> None:
        """At most `processes` tasks and `memory` bytes (swap included) in all."""
        self._file("pids", "pids.max", "pids.max").write_text(str(processes))
        swap = self._file("memory", "memory.swap.max", "memory.memsw.limit_in_bytes")  # where swap is accounted
        with contextlib.suppress(OSError):
            swap.write_text("max" if self.v2 else "-1")  # v1: memory may not exceed memory + swap
        self._memory_limit().write_text(str(memory))
        with contextlib.suppress(OSError):
            swap.write_text("0" if self.v2 else str(memory))

    def join(self) -> None:
        """Move the calling process in (run in `preexec`, before it drops root)."""
        for folder in self.dirs.values():
            (folder / "cgroup.procs").write_text("0")

    def memory_used(self) -> int:
        return int(self._file("memory", "memory.current", "memory.usage_in_bytes").read_text())

    def oom_kills(self) -> int:
        """How many processes the kernel has killed here for lack of memory so far."""
        text = self._file("memory", "memory.events", "memory.oom_control").read_text()
        counts = dict(line.split() for line in text.splitlines() if len(line.split()) == 2)
        return int(counts.get("oom_kill", 0))

    def _pids(self) -> list[int]:
        try:
            return [int(p) for p in self._file("pids", "cgroup.procs", "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def empty(self) -> None:
        """Kill every process inside (they leave the cgroup as they die)."""
        for _ in range(200):
            pids = self._pids()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.005)

    def remove(self) -> None:
        """Kill what is inside, then delete the cgroup (best effort)."""
        self.empty()
        for folder in self.dirs.values():
            with contextlib.suppress(OSError):
                folder.rmdir()
