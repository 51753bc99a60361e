"""The sandbox side of the grading fork server: a zygote that forks one child per submission.

    python -m coursekit.engine.zygote CONFIG_JSON      (in the sandbox; stdin and stdout carry the protocol)

Started once per grading worker inside its sandbox. Before any learner code exists it imports
torch, numpy, IPython and what the release notebook imports, makes the IPython shell and loads
the public checks; then it forks a child per submission that runs the notebook
(`coursekit.engine.runner.run_job`). A fork costs milliseconds; a fresh interpreter pays 2-4 s for torch.

Protocol, one JSON object per line:
    parent -> zygote   {"run": {Job fields}, "notebook": "<ipynb text>"}
                       {"hidden": "<text of hidden.py>"}   the answer to a "public" event
                       {"kill": true}                      end the running submission now
    zygote -> parent   {"ready": true}                     once, after start-up
                       {"progress": {...}}                 the cell or check the child starts now
                       {"public": FILES}                   the child wrote its public outputs
                       {"done": {"code": int, "files": FILES}}
                       {"ready": true}                     clean again after a submission
FILES maps paths under the child's output folder (cells.json, progress.json, outputs/...) to
base64 bytes: regular files only, never through links, at most `max_output_bytes` in all.

Why one submission cannot touch the next (children never overlap):
- the zygote never runs learner code. It is non-dumpable, so a process of the same uid can
  neither ptrace it nor read its memory or descriptors through /proc; it ignores every
  catchable signal; SIGKILL or SIGSTOP end the sandbox (the parent starts a new one).
- the child closes the protocol pipes before any learner code runs.
- after each child: kill(-1, SIGKILL) ends every other process of the sandbox's uid in its own
  PID namespace, repeated until /proc shows none (without a PID namespace: every descendant,
  the zygote being their subreaper); the private tmpfs folders (/job, /tmp, /dev/shm,
  /dev/mqueue), System V IPC objects and the keyrings children share are emptied.
- then the zygote compares its own settings that a same-uid process may change (nice value,
  scheduling policy, CPU affinity, rlimits) with those it started with. On any difference, or
  any failure to clean up, it exits, and the parent starts a fresh sandbox.
So every child starts from the state the first one did.

Hidden checks: the sandbox's checks folder holds public.py only. The text of hidden.py arrives
through the protocol after the child has written its public outputs and the parent has taken
them, with cells.json, as final. Learner code gets the hidden checks only once nothing it
writes can reach the learner any more, except each hidden check's pass or fail, which feedback
states in fixed words.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import gc
import importlib
import json
import os
import platform
import resource
import selectors
import signal
import stat
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 4, 36
IPC_RMID = 0
KEYCTL = {"x86_64": 250, "aarch64": 219}  # the keyctl system call, which glibc does not wrap
KEYCTL_JOIN_SESSION_KEYRING, KEYCTL_CLEAR, KEYCTL_INVALIDATE, KEYCTL_GET_PERSISTENT = 1, 7, 21, 22
KEY_SPEC_SESSION, KEY_SPEC_USER, KEY_SPEC_USER_SESSION = -3, -4, -5
RLIMITS = (resource.RLIMIT_AS, resource.RLIMIT_CPU, resource.RLIMIT_FSIZE, resource.RLIMIT_NPROC,
           resource.RLIMIT_NOFILE, resource.RLIMIT_CORE, resource.RLIMIT_STACK)
UNTOUCHABLE = {signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD}
MAX_FILES = 2000  # files read back from one output folder
MAX_LINE = 4096  # bytes of one message from the child
CHILD_GONE = 99  # exit code of a child whose set-up failed before the notebook ran


@dataclass
class Config:
    checks: str  # folder holding public.py
    job_dir: str  # the private, emptied folder a submission runs in
    wipe: list[str]  # folders emptied after every submission
    pid_namespace: bool  # True in bubblewrap: kill(-1) reaches exactly this sandbox
    cpu_s: float  # RLIMIT_CPU of each child
    max_output_bytes: int
    threads: int = 1
    preload: tuple[str, ...] = ()  # modules the release notebook imports


# --- reading the child's output folder ------------------------------------------------------

def read_tree(folder: str, max_bytes: int) -> dict[str, str]:
    """Regular files under `folder` as {relative path: base64}; links and specials are skipped."""
    files: dict[str, str] = {}
    budget = [max_bytes]
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return files
    try:
        _read_dir(fd, "", files, budget, depth=0)
    finally:
        os.close(fd)
    return files


def _read_dir(dir_fd: int, prefix: str, files: dict[str, str], budget: list[int], depth: int) -> None:
    for entry in sorted(os.scandir(dir_fd), key=lambda e: e.name):
        if len(files) >= MAX_FILES:
            return
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK
        try:
            fd = os.open(entry.name, flags, dir_fd=dir_fd)
        except OSError:  # a link (ELOOP), or gone
            continue
        try:
            info = os.fstat(fd)
            if stat.S_ISDIR(info.st_mode) and depth < 2:
                _read_dir(fd, f"{prefix}{entry.name}/", files, budget, depth + 1)
            elif stat.S_ISREG(info.st_mode) and info.st_size <= budget[0]:
                data = os.read(fd, info.st_size + 1)[: info.st_size]
                budget[0] -= len(data)
                files[prefix + entry.name] = base64.b64encode(data).decode()
        finally:
            os.close(fd)


# --- cleaning up after a child --------------------------------------------------------------

def _others(pid_namespace: bool) -> list[int]:
    """Live processes to end: all but init and us in our PID namespace, else our descendants."""
    me, parents = os.getpid(), {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            fields = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parents[int(name)] = int(fields[1])
    if pid_namespace:
        return [p for p in parents if p not in (1, me)]
    found, frontier = [], [me]
    while frontier:
        children = [p for p, pp in parents.items() if pp in frontier]
        found += children
        frontier = children
    return found


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def kill_all(pid_namespace: bool) -> None:
    """End every process the submission started; raises if some survive."""
    for _ in range(200):
        if pid_namespace:
            with contextlib.suppress(ProcessLookupError):
                os.kill(-1, signal.SIGKILL)
        for pid in _others(pid_namespace):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _reap()
        if not _others(pid_namespace):
            return
        time.sleep(0.005)
    raise RuntimeError("processes of the submission survive SIGKILL")


def _remove(path: str) -> None:
    if os.path.islink(path) or not os.path.isdir(path):
        os.unlink(path)
        return
    os.chmod(path, 0o700)  # learner code may have made it unreadable
    for entry in os.scandir(path):
        _remove(entry.path)
    os.rmdir(path)


def empty(folder: str) -> None:
    """Remove what a submission left in `folder`, sparing the sandbox's own mounts inside it
    (the course may live under /tmp, e.g. a CI checkout, with its venv bound read-only there)."""
    with open("/proc/self/mountinfo") as info:
        mounts = {line.split()[4] for line in info}
    for entry in os.scandir(folder):
        if any(m == entry.path or m.startswith(entry.path + "/") for m in mounts):
            continue
        _remove(entry.path)


def remove_ipc() -> None:
    """Delete the System V shared memory, semaphores and message queues of this IPC namespace."""
    libc = ctypes.CDLL(None, use_errno=True)
    for kind, call in (("shm", libc.shmctl), ("sem", None), ("msg", libc.msgctl)):
        try:
            lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            ident = int(line.split()[1])
            if kind == "sem":
                libc.semctl(ident, 0, IPC_RMID)
            else:
                call(ident, IPC_RMID, None)


def clear_keyrings() -> None:
    """Empty the session, user and persistent keyrings the next child would share (best effort)."""
    number = KEYCTL.get(platform.machine())
    if number is None:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    persistent = libc.syscall(number, KEYCTL_GET_PERSISTENT, -1, KEY_SPEC_SESSION)
    for ring in (persistent, KEY_SPEC_SESSION, KEY_SPEC_USER, KEY_SPEC_USER_SESSION):
        if ring != -1:
            libc.syscall(number, KEYCTL_CLEAR, ring)
    # A cleared key stays listed in /proc/keys until the kernel's asynchronous garbage collector
    # runs; invalidate what is left and wait (bounded) until the next child cannot see it.
    keys = _listed_keys()
    for key in keys:
        libc.syscall(number, KEYCTL_INVALIDATE, key)
    deadline = time.monotonic() + 2.0
    while keys & _listed_keys() and time.monotonic() < deadline:
        time.sleep(0.02)


def _listed_keys() -> set[int]:
    """Ids of the non-keyring keys this process can see in /proc/keys."""
    try:
        lines = Path("/proc/keys").read_text().splitlines()
    except OSError:
        return set()
    return {int(f[0], 16) for f in (line.split() for line in lines) if len(f) > 7 and f[7] != "keyring"}


def settings() -> tuple:
    """What a same-uid process can change about this one, and children would inherit."""
    return (os.getpriority(os.PRIO_PROCESS, 0), os.sched_getscheduler(0), sorted(os.sched_getaffinity(0)),
            tuple(resource.getrlimit(r) for r in RLIMITS))


# --- the child ------------------------------------------------------------------------------

def _default_signals() -> None:
    for sig in signal.valid_signals():
        if sig in UNTOUCHABLE:
            continue
        with contextlib.suppress(OSError, ValueError):
            signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # as Python sets them at start-up
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def _close_fds(keep: set[int]) -> None:
    """Close every descriptor above 2 except `keep`: the protocol pipes above all."""
    low = 3
    for fd in [*sorted(keep), 1 << 16]:
        os.closerange(low, fd)
        low = fd + 1


def child(config: Config, state: dict, job_fields: dict, notify: int, hidden_fd: int) -> None:
    """Run one submission; never returns."""
    code = CHILD_GONE
    try:
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # what the notebook prints goes nowhere
            os.dup2(null, fd)
        _close_fds({notify, hidden_fd})
        _default_signals()
        ctypes.CDLL(None).prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
        seconds = int(config.cpu_s) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))  # SIGXCPU, then SIGKILL
        os.chdir(config.job_dir)
        from coursekit.checks import load_hidden
        from coursekit.engine import runner

        job = runner.Job(**job_fields)

        def fetch_hidden() -> tuple:
            os.write(notify, b"public\n")
            chunks = []
            while chunk := os.read(hidden_fd, 1 << 16):
                chunks.append(chunk)
            return load_hidden(Path(config.checks), b"".join(chunks).decode(), state["public"])

        def send_progress(record: dict) -> None:
            os.write(notify, b"progress " + json.dumps(record).encode() + b"\n")

        runner.run_job(job, state["shell"], state["public"], hidden=fetch_hidden if job.hidden else None,
                       notify=send_progress)
        code = 0
    except BaseException:  # noqa: BLE001 - the parent reads what happened from progress.json
        pass
    finally:
        os._exit(code)


# --- the zygote -----------------------------------------------------------------------------

class Protocol:
    """JSON lines on two file descriptors."""

    def __init__(self, read_fd: int, write_fd: int):
        self.read_fd, self.write_fd = read_fd, write_fd
        self.buffer = b""

    def send(self, message: dict) -> None:
        data = (json.dumps(message) + "\n").encode()
        while data:
            data = data[os.write(self.write_fd, data):]

    def pending(self) -> dict | None:
        """A complete message already buffered, if any."""
        if b"\n" not in self.buffer:
            return None
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def fill(self) -> bool:
        """Read what is available (the fd is readable); False at end of input."""
        chunk = os.read(self.read_fd, 1 << 20)
        self.buffer += chunk
        return bool(chunk)

    def receive(self) -> dict | None:
        while (message := self.pending()) is None:
            if not self.fill():
                return None
        return message


def start(config: Config) -> dict:
    """Everything before the first submission: imports, shell, public checks, hardening."""
    libc = ctypes.CDLL(None)
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    if platform.machine() in KEYCTL:  # a session keyring of our own, emptied after every child
        libc.syscall(KEYCTL[platform.machine()], KEYCTL_JOIN_SESSION_KEYRING, None)
    for sig in signal.valid_signals():
        if sig not in UNTOUCHABLE:
            with contextlib.suppress(OSError, ValueError):
                signal.signal(sig, signal.SIG_IGN)
    # the protocol moves off 0 and 1 so stray prints cannot corrupt it
    read_fd, write_fd = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    from coursekit.checks import load_checks
    from coursekit.engine.runner import seed_everything, start_shell

    shell = start_shell(config.threads)
    seed_everything(0)  # its first call costs tens of milliseconds
    import nbformat  # what the runner imports per notebook: import it once here, and warm the validator

    import coursekit.arrays
    import coursekit.notebook
    import coursekit.probing  # noqa: F401

    nbformat.reads(nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])), as_version=4)
    for name in config.preload:
        with contextlib.suppress(Exception):  # a module the notebook imports may be missing here
            importlib.import_module(name)
    public = load_checks(Path(config.checks), hidden=False).checks
    gc.collect()
    gc.freeze()  # keep the children's garbage collector off the shared pages
    return {"shell": shell, "public": public, "protocol": Protocol(read_fd, write_fd), "settings": settings()}


def run_one(config: Config, state: dict, message: dict) -> None:
    """Fork the child for one submission, relay its events, clean up after it."""
    protocol: Protocol = state["protocol"]
    job = message["run"]
    notebook = Path(job["notebook"])
    notebook.write_text(message["notebook"])
    out = Path(job["out"])
    out.mkdir(parents=True, exist_ok=True)
    notify_r, notify_w = os.pipe()
    hidden_r, hidden_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(notify_r)
        os.close(hidden_w)
        child(config, state, job, notify_w, hidden_r)
    os.close(notify_w)
    os.close(hidden_r)
    os.set_blocking(hidden_w, False)
    pidfd = os.pidfd_open(pid)
    selector = selectors.DefaultSelector()
    selector.register(protocol.read_fd, selectors.EVENT_READ, "parent")
    selector.register(notify_r, selectors.EVENT_READ, "child")
    selector.register(pidfd, selectors.EVENT_READ, "exit")
    hidden, public_sent, status, lines = b"", False, None, b""
    while status is None:
        for key, _ in selector.select():
            if key.data == "exit":
                status = os.waitpid(pid, 0)[1]
            elif key.data == "child":
                chunk = os.read(notify_r, 1 << 16)
                if not chunk:
                    selector.unregister(notify_r)
                lines += chunk
                *complete, lines = lines.split(b"\n")
                lines = lines[-MAX_LINE:]  # learner code may write here too: bounded, parsed, never run
                for line in complete:
                    if line.startswith(b"progress ") and len(line) < MAX_LINE:
                        with contextlib.suppress(ValueError):
                            protocol.send({"progress": json.loads(line[9:])})
                    elif line == b"public" and not public_sent:
                        public_sent = True
                        protocol.send({"public": read_tree(str(out), config.max_output_bytes)})
            elif key.data == "parent":
                if not protocol.fill():
                    kill_all(config.pid_namespace)
                    sys.exit(0)  # the parent is gone
                while (command := protocol.pending()) is not None:
                    if "kill" in command:  # the rest of its processes go once it has been waited for
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(pid, signal.SIGKILL)
                    elif "hidden" in command and public_sent:
                        hidden = command["hidden"].encode()
                        selector.register(hidden_w, selectors.EVENT_WRITE, "hidden")
            elif key.data == "hidden":
                try:
                    hidden = hidden[os.write(hidden_w, hidden):]
                except OSError:  # the child stopped reading
                    hidden = b""
                if not hidden:
                    selector.unregister(hidden_w)
                    os.close(hidden_w)
                    hidden_w = -1
    selector.close()
    for fd in (notify_r, pidfd, hidden_w):
        if fd >= 0:
            os.close(fd)
    kill_all(config.pid_namespace)
    files = read_tree(str(out), config.max_output_bytes)
    protocol.send({"done": {"code": os.waitstatus_to_exitcode(status), "files": files}})
    for folder in config.wipe:
        empty(folder)
    if config.pid_namespace:
        remove_ipc()
        clear_keyrings()
    if settings() != state["settings"]:
        raise RuntimeError("a submission changed the zygote's scheduling or limits")
    protocol.send({"ready": True})  # clean again: the parent may send the next submission


def main(config_json: str) -> None:
    config = Config(**json.loads(config_json))
    config.preload = tuple(config.preload)
    sys.path[:] = [p for p in sys.path if p not in ("", os.getcwd(), config.job_dir)]
    if config.pid_namespace and not set(_others(True)) <= {1}:  # not alone: kill(-1) would reach others
        config.pid_namespace = False
    state = start(config)
    protocol: Protocol = state["protocol"]
    protocol.send({"ready": True})
    while (message := protocol.receive()) is not None:
        if "run" in message:
            run_one(config, state, message)
    os._exit(0)


def _fail(exc: BaseException) -> Any:
    traceback.print_exception(exc)
    os._exit(3)


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except BaseException as exc:  # noqa: BLE001 - any failure ends the sandbox; the parent restarts it
        _fail(exc)
