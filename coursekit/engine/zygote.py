"""The sandbox side of the grading fork server: a zygote that forks one child per submission.

    python -m coursekit.engine.zygote CONFIG_JSON      (in the sandbox; stdin and stdout carry the protocol)

Started once per grading worker inside its sandbox. Before any learner code exists it imports
torch, numpy, IPython and what the release notebook imports, makes the IPython shell and loads
the public checks; then it forks a child per submission that runs the notebook
(`coursekit.engine.runner.run_job`). A fork costs milliseconds; a fresh interpreter pays 2-4 s for torch.

Protocol, one JSON object per line:
    parent -> zygote   {"run": {Job fields}, "notebook": "<ipynb text>"}
                       {"hidden": "<JSON>"}                the answer to a "public" event: {"checks": text of
                                                           hidden.py, "key": source of the key's graded definitions}
                       {"kill": true}                      end the running submission now
    zygote -> parent   {"ready": true}                     once, after start-up
                       {"progress": {...}}                 the cell or check the child starts now
                       {"public": FILES}                   the child's notebook and public checks are over
                       {"done": {"code": int, "files": FILES}}
                       {"ready": true}                     clean again after a submission
                       {"tainted": "<what>"}               instead of running: the zygote is not as it started
                                                           (it exits; the submission is not to blame)
FILES maps paths under the child's output folder (cells.json, progress.json, outputs/...) to
base64 bytes: regular files only, never through links, at most `max_output_bytes` in all.

In bubblewrap (`Config.pid_namespace`) the first process (Z0) makes a user namespace mapping
only its own uid, a mount namespace and a PID namespace, and forks the zygote into it as its pid
1; Z0 only waits. There the zygote holds the capabilities it needs to give each child a PID
namespace of its own: the child is pid 1 of it, mounts a /proc that shows that namespace only,
and learner code cannot see, signal, renice, prlimit or ptrace the zygote (no pid names it).

Why one submission cannot touch the next (children never overlap):
- the zygote never runs learner code, and is out of its reach (above); it is also non-dumpable
  and ignores every catchable signal.
- the child leaves the zygote's session and process group, closes the protocol pipes, drops
  every capability, sets no_new_privs and a seccomp filter (`SECCOMP_DENIED`) before any learner
  code runs, and offers itself first when memory runs out (oom_score_adj).
- before each cell and each check the child kills every other process it can see, so what a
  cell leaves running (a fork bomb) costs that cell alone.
- after each child: every process of it is killed (kill(-1) from the zygote's namespace; the
  kernel ends a PID namespace with its pid 1 anyway), repeated until /proc shows none; the
  private tmpfs folders (/job, /tmp, /dev/shm, /dev/mqueue), System V IPC objects and the
  keyrings children share are emptied.
- before each fork the zygote sets again everything a child inherits from it (every rlimit, the
  environment, working folder, umask, oom_score_adj, nice value, scheduling, CPU affinity, I/O
  priority, timer slack) and compares it, with its credentials, signal masks and seccomp state,
  with what it started with (`restore`). Anything it cannot undo ends it before it forks, and
  the parent grades the submission in a fresh sandbox, uncharged; a failure to clean up ends it
  too. So every child starts from the state the first one did.
Without bubblewrap (the rlimits fallback) there are no namespaces: the child is a subreaper and
kills its descendants instead, and `restore` is what keeps a submission that lowered the
zygote's limits (its parent's pid is known there) from reaching the next one.

Hidden checks: the sandbox's checks folder holds public.py only, and no byte learner code writes
brings hidden.py. When the child has written its public outputs it loads END_OF_NOTEBOOK, a
second seccomp filter that can never be removed, and says "public". Only with that latch set
(read from /proc) does the zygote end the notebook: it sends the output folder ({"public"}),
which the parent takes with cells.json as final, and writes the text of hidden.py the parent
answers with into the child's pipe, with the answer key's graded definitions: the hidden checks,
and the public ones again (variant `isolated`), run with every graded name but the one under test
the key's (`runner.Isolation`). Learner code that sets the latch earlier only ends its own
notebook there. From then on the zygote passes on progress for checks only, and the parent keeps
those checks' outputs only; feedback states their pass or fail, and a crash as a category.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import errno
import gc
import importlib
import json
import os
import platform
import resource
import selectors
import signal
import stat
import struct
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coursekit.engine.sandbox import (
    CLONE_NEWNS,
    CLONE_NEWPID,
    CLONE_NEWUSER,
    MS_NODEV,
    MS_NOEXEC,
    MS_NOSUID,
    MS_PRIVATE,
    MS_REC,
    libc_call,
)

PR_GET_DUMPABLE, PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_GET_SECUREBITS = 3, 4, 24, 27
PR_SET_TIMERSLACK, PR_GET_TIMERSLACK, PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP = 29, 30, 38, 22
PR_SET_CHILD_SUBREAPER, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 36, 47, 4
SECCOMP_MODE_FILTER, CAPABILITY_VERSION_3 = 2, 0x20080522
IPC_RMID = 0
KEYCTL = {"x86_64": 250, "aarch64": 219}  # the keyctl system call, which glibc does not wrap
IOPRIO = {"x86_64": (251, 252), "aarch64": (30, 31)}  # ioprio_set, ioprio_get
IOPRIO_WHO_PROCESS = 1
KEYCTL_JOIN_SESSION_KEYRING, KEYCTL_CLEAR, KEYCTL_INVALIDATE, KEYCTL_GET_PERSISTENT = 1, 7, 21, 22
KEY_SPEC_SESSION, KEY_SPEC_USER, KEY_SPEC_USER_SESSION = -3, -4, -5
STATUS_FIELDS = ("NoNewPrivs", "Seccomp", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "SigBlk", "SigIgn")
UNTOUCHABLE = {signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD}
MAX_FILES = 2000  # files read back from one output folder
MAX_LINE = 4096  # bytes of one message from the child
CHILD_GONE = 99  # exit code of a child whose set-up failed before the notebook ran
TAINTED = 4  # exit code of a zygote that found itself changed before a fork

# Denied to learner code with EPERM. Why a filter of our own rather than bwrap's --seccomp: that one
# binds the whole sandbox, and the zygote must create a PID namespace per submission (unshare,
# setns). libseccomp (Debian's libseccomp2, through ctypes) resolves each name for this
# architecture and checks the architecture itself (an i386 or x32 system call is killed, not
# let through); the zygote builds the program once and each child loads it with one prctl.
SECCOMP_DENIED = (
    "unshare", "setns",  # new user namespaces (and every other kind); clone's flags are checked below
    "ptrace", "process_vm_readv", "process_vm_writev",
    "keyctl", "add_key", "request_key",  # keyrings outlive processes
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "mount", "umount2", "pivot_root", "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick",
    "mount_setattr", "open_by_handle_at", "swapon", "swapoff", "reboot", "acct", "quotactl",
)
NEW_NAMESPACES = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000)  # CLONE_NEW*
SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_CMP_MASKED_EQ, NR_SCMP_ERROR = 0x7FFF0000, 0x00050000, 7, -1
# The child marks the end of its notebook by loading this second filter, which allows everything:
# a filter can be neither removed nor loaded into a process from outside it, so the count in
# /proc/<child>/status is a one-way latch the zygote reads, and no byte learner code writes sets it.
END_OF_NOTEBOOK = struct.pack("<HBBI", 0x06, 0, 0, SCMP_ACT_ALLOW)  # BPF_RET | BPF_K: allow


@dataclass
class Config:
    checks: str  # folder holding public.py
    job_dir: str  # the private, emptied folder a submission runs in
    wipe: list[str]  # folders emptied after every submission
    pid_namespace: bool  # True in bubblewrap: namespaces of our own, kill(-1) reaches exactly one submission
    cpu_s: float  # RLIMIT_CPU of each child
    max_output_bytes: int
    rlimits: dict[str, list[int]]  # every rlimit the sandbox started with (sandbox.limits_table): children inherit them
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


# --- killing what a submission started ------------------------------------------------------

def _state(pid: int) -> str | None:
    """The process's state letter ("R", "S", "Z"...), or None when it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def _live() -> list[int]:
    """Every process /proc shows that is not a zombie."""
    return [int(n) for n in os.listdir("/proc") if n.isdigit() and _state(int(n)) not in (None, "Z")]


def _descendants(pid: int) -> list[int]:
    """The live descendants of `pid`, from the children each of their threads started."""
    found, frontier = [], [pid]
    while frontier:
        children = []
        for parent in frontier:
            with contextlib.suppress(OSError):
                for task in os.listdir(f"/proc/{parent}/task"):
                    with contextlib.suppress(OSError):
                        children += [int(c) for c in Path(f"/proc/{parent}/task/{task}/children").read_text().split()]
        found += [c for c in children if _state(c) not in (None, "Z")]
        frontier = children
    return found


def _others(pid_namespace: bool) -> list[int]:
    """Live processes to end: all but init and us in our PID namespace, else our descendants
    (we are a subreaper: orphans of a submission come back to us)."""
    me = os.getpid()
    return [p for p in _live() if p not in (1, me)] if pid_namespace else _descendants(me)


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _alone() -> bool:
    """Whether nothing but us (and our namespace's init) could be signalled: one system call."""
    try:
        os.kill(-1, 0)
    except ProcessLookupError:
        return True
    return False


def kill_all(pid_namespace: bool) -> None:
    """End every other process of the submission this process can see; raises if some survive."""
    if pid_namespace and _alone():  # the usual case, before every cell and check: no /proc to read
        return
    for attempt in range(200):
        _reap()
        others = _others(pid_namespace)
        if not others:
            return
        if attempt:
            time.sleep(0.005)
        if pid_namespace:
            with contextlib.suppress(ProcessLookupError):
                os.kill(-1, signal.SIGKILL)  # all of the namespace but init and us at once: a fork bomb outruns a loop
        for pid in others:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    raise RuntimeError("processes of the submission survive SIGKILL")


# --- cleaning up after a submission ---------------------------------------------------------

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


# --- what a child inherits from the zygote --------------------------------------------------

def _ioprio(libc: Any, value: int | None = None) -> int:
    """This process's I/O priority, set first to `value` if given (-1 where unknown)."""
    numbers = IOPRIO.get(platform.machine())
    if numbers is None:
        return -1
    if value is not None:
        libc.syscall(numbers[0], IOPRIO_WHO_PROCESS, 0, value)
    return libc.syscall(numbers[1], IOPRIO_WHO_PROCESS, 0)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def snapshot() -> dict[str, object]:
    """Everything about this process that a child inherits and that is not its memory or files."""
    libc = ctypes.CDLL(None, use_errno=True)
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    state: dict[str, object] = {f"status {k}": status.get(k, "").strip() for k in STATUS_FIELDS}
    state |= {name: resource.getrlimit(getattr(resource, name)) for name in dir(resource)
              if name.startswith("RLIMIT_")}
    state |= {
        "nice": os.getpriority(os.PRIO_PROCESS, 0), "scheduler": os.sched_getscheduler(0),
        "priority": os.sched_getparam(0).sched_priority, "affinity": sorted(os.sched_getaffinity(0)),
        "io priority": _ioprio(libc), "environment": sorted(os.environ.items()), "folder": os.getcwd(),
        "umask": _umask(), "oom_score_adj": Path("/proc/self/oom_score_adj").read_text().strip(),
        "timer slack": libc.prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0), "personality": libc.personality(0xFFFFFFFF),
        "securebits": libc.prctl(PR_GET_SECUREBITS, 0, 0, 0, 0), "dumpable": libc.prctl(PR_GET_DUMPABLE, 0, 0, 0, 0),
    }
    return state


def restore(config: Config, start: dict[str, object]) -> list[str]:
    """Set again what a child inherits, to the configured rlimits and the rest as at `start`;
    return the names of what still differs (what this process cannot undo on its own)."""
    libc = ctypes.CDLL(None, use_errno=True)
    steps = [lambda: os.chdir(start["folder"]), lambda: os.umask(start["umask"]),
             lambda: Path("/proc/self/oom_score_adj").write_text(start["oom_score_adj"]),
             lambda: os.setpriority(os.PRIO_PROCESS, 0, start["nice"]),
             lambda: os.sched_setaffinity(0, start["affinity"]),
             lambda: os.sched_setscheduler(0, start["scheduler"], os.sched_param(start["priority"])),
             lambda: _ioprio(libc, start["io priority"]),
             lambda: libc.prctl(PR_SET_TIMERSLACK, start["timer slack"], 0, 0, 0)]
    steps += [lambda name=name, value=value: resource.setrlimit(getattr(resource, name), tuple(value))
              for name, value in config.rlimits.items()]
    for step in steps:  # each on its own: what cannot be undone (a lowered hard limit) shows below
        with contextlib.suppress(OSError, ValueError):
            step()
    if sorted(os.environ.items()) != start["environment"]:
        os.environ.clear()
        os.environ.update(dict(start["environment"]))
    now = snapshot()
    wanted = start | {name: tuple(value) for name, value in config.rlimits.items()}
    return [name for name in wanted if now.get(name) != wanted[name]]


# --- namespaces, capabilities, seccomp --------------------------------------------------------

def enter_namespaces() -> None:
    """Become pid 1 of a new PID namespace, in user and mount namespaces of our own (as the same uid,
    with every capability there), with a /proc of that namespace. Only that new process (the
    zygote) returns: this one (Z0) waits for it and exits as it does."""
    uid, gid = os.getuid(), os.getgid()
    libc_call("unshare", CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS)
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
    Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
    pid = os.fork()
    if pid:
        code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        os._exit(code if code >= 0 else 128 - code)
    _own_proc()


def _own_proc() -> None:
    """Mount a /proc of this process's PID namespace, in a mount namespace already of its own."""
    libc_call("mount", None, b"/", None, MS_REC | MS_PRIVATE, None)
    libc_call("mount", b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


class _ArgCmp(ctypes.Structure):  # libseccomp's struct scmp_arg_cmp
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("datum_a", ctypes.c_uint64),
                ("datum_b", ctypes.c_uint64)]


class _Fprog(ctypes.Structure):  # the kernel's struct sock_fprog
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def drop_capabilities() -> None:
    """Give up every capability for good (bounding and ambient sets too), and no_new_privs."""
    libc = ctypes.CDLL(None, use_errno=True)
    last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    for cap in range(last + 1):  # fails without CAP_SETPCAP: then no_new_privs keeps exec from gaining any
        libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    libc_call("capset", ctypes.byref(_CapHeader(CAPABILITY_VERSION_3, 0)), (_CapData * 2)())
    libc_call("prctl", PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


def seccomp_program() -> bytes:
    """The seccomp filter of every child as a BPF program: SECCOMP_DENIED, clone with a CLONE_NEW*
    flag, and clone3 (its flags lie in memory a filter cannot read: ENOSYS, so glibc uses clone)."""
    lib = ctypes.CDLL("libseccomp.so.2")
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint,
                                           ctypes.POINTER(_ArgCmp)]
    lib.seccomp_export_bpf.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    context = lib.seccomp_init(SCMP_ACT_ALLOW)

    def deny(name: str, code: int, *conditions: _ArgCmp) -> None:
        number = lib.seccomp_syscall_resolve_name(name.encode())
        if number == NR_SCMP_ERROR:  # not a system call libseccomp knows
            return
        if lib.seccomp_rule_add_array(context, SCMP_ACT_ERRNO | code, number, len(conditions),
                                      (_ArgCmp * len(conditions))(*conditions)) != 0:
            raise OSError(f"libseccomp could not add a rule for {name}")

    try:
        for name in SECCOMP_DENIED:
            deny(name, errno.EPERM)
        for flag in NEW_NAMESPACES:
            deny("clone", errno.EPERM, _ArgCmp(0, SCMP_CMP_MASKED_EQ, flag, flag))
        deny("clone3", errno.ENOSYS)
        read_fd, write_fd = os.pipe()
        exported = lib.seccomp_export_bpf(context, write_fd)
        os.close(write_fd)
        with os.fdopen(read_fd, "rb") as pipe:
            program = pipe.read()
    finally:
        lib.seccomp_release(context)
    if exported != 0 or not program:
        raise OSError("libseccomp could not export the filter")
    return program


def load_seccomp(program: bytes) -> None:
    """Filter every later system call of this process and its descendants through `program`."""
    buffer = ctypes.create_string_buffer(program, len(program))
    libc_call("prctl", PR_SET_SECCOMP, SECCOMP_MODE_FILTER,
              ctypes.byref(_Fprog(len(program) // 8, ctypes.addressof(buffer))), 0, 0)


# --- the processes of a submission ----------------------------------------------------------

def _default_signals() -> None:
    for sig in signal.valid_signals():
        if sig in UNTOUCHABLE:
            continue
        with contextlib.suppress(OSError, ValueError):
            signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # as Python sets them at start-up
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_SETMASK, set())


def _close_fds(keep: set[int]) -> None:
    """Close every descriptor above 2 except `keep`: the protocol pipes above all."""
    low = 3
    for fd in [*sorted(keep), 1 << 16]:
        os.closerange(low, fd)
        low = fd + 1


def _confine(config: Config, seccomp: bytes, keep: set[int]) -> None:
    """Everything between the fork and the first line of learner code: its own /proc and session,
    no descriptor but `keep`, default signals, no capability, the seccomp filter, the CPU limit."""
    libc = ctypes.CDLL(None)
    if config.pid_namespace:
        libc_call("unshare", CLONE_NEWNS)
        _own_proc()
    else:
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)  # what the notebook orphans stays ours to kill
    os.setsid()  # kill(0) and setpriority(PRIO_PGRP) reach this submission only
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # what the notebook prints goes nowhere
        os.dup2(null, fd)
    _close_fds(keep)
    _default_signals()
    libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # our /proc/self is ours again (the zygote's is not)
    Path("/proc/self/oom_score_adj").write_text("1000")  # out of memory, the kernel ends us, not the zygote
    drop_capabilities()
    load_seccomp(seccomp)
    seconds = int(config.cpu_s) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))  # SIGXCPU, then SIGKILL
    os.chdir(config.job_dir)


def child(config: Config, state: dict, job_fields: dict, notify: int, hidden_fd: int) -> None:
    """Run one submission: its notebook, its public checks, then its hidden checks; never returns."""
    code = CHILD_GONE
    try:
        _confine(config, state["seccomp"], {notify, hidden_fd})
        from coursekit.checks import load_hidden
        from coursekit.engine import runner

        job = runner.Job(**job_fields)

        def fetch_hidden() -> tuple:
            os.set_blocking(hidden_fd, True)  # as it was made, whatever learner code did to it
            load_seccomp(END_OF_NOTEBOOK)
            os.write(notify, b"public\n")  # only says: look at the latch
            chunks = []
            while chunk := os.read(hidden_fd, 1 << 16):
                chunks.append(chunk)
            secrets = json.loads(b"".join(chunks))
            checks = load_hidden(Path(config.checks), secrets["checks"], state["public"]) if secrets["checks"] else ()
            return checks, secrets["key"]

        def send_progress(record: dict) -> None:
            kill_all(config.pid_namespace)  # what the last cell or check left running ends with it
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
    if "Seccomp_filters:" not in Path("/proc/self/status").read_text():  # the end-of-notebook latch reads it
        raise RuntimeError("this kernel does not report Seccomp_filters in /proc (Linux 5.9 or later needed)")
    state = {"shell": shell, "public": public, "protocol": Protocol(read_fd, write_fd), "seccomp": seccomp_program()}
    if config.pid_namespace:  # to make the next submission's namespace, we come back to ours after each
        state["pid namespace"] = os.open("/proc/self/ns/pid", os.O_RDONLY)
    gc.collect()
    gc.freeze()  # keep the children's garbage collector off the shared pages
    state["settings"] = snapshot()
    drifted = restore(config, state["settings"])
    if drifted:
        raise RuntimeError(f"the sandbox did not start with its configured {', '.join(drifted)}")
    return state


class Submission:
    """One submission's child as the zygote drives it: events from the parent and from the child."""

    def __init__(self, config: Config, state: dict, job: dict):
        self.config, self.state, self.job = config, state, job
        self.protocol: Protocol = state["protocol"]
        self.out = Path(job["out"])
        self.notify_r, notify_w = os.pipe()
        hidden_r, self.hidden_w = os.pipe()
        self.child = self._spawn(notify_w, hidden_r)
        os.close(notify_w)
        os.close(hidden_r)
        os.set_blocking(self.hidden_w, False)
        child_exit = os.pidfd_open(self.child)
        self.fds = {self.notify_r, self.hidden_w, child_exit}  # ours to close
        self.phase = "cells"  # -> "public" (the notebook has ended, its outputs are sent) -> "hidden"
        self.hidden, self.lines = b"", b""
        self.code: int | None = None
        self.finished = False
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.protocol.read_fd, selectors.EVENT_READ, self._on_parent)
        self.selector.register(self.notify_r, selectors.EVENT_READ, self._on_notify)
        self.selector.register(child_exit, selectors.EVENT_READ, self._on_child_exit)

    def _spawn(self, notify_w: int, hidden_r: int) -> int:
        """Fork the child: pid 1 of a PID namespace of its own where there are namespaces."""
        if self.config.pid_namespace:
            libc_call("unshare", CLONE_NEWPID)
        pid = os.fork()
        if pid == 0:
            os.close(self.notify_r)
            os.close(self.hidden_w)
            child(self.config, self.state, self.job, notify_w, hidden_r)
        if self.config.pid_namespace:  # back to ours, so that the next unshare may make another
            libc_call("setns", self.state["pid namespace"], CLONE_NEWPID)
        return pid

    def run(self) -> int:
        """Relay events until the child ends; its exit code."""
        while not self.finished:
            for key, _ in self.selector.select():
                if not self.finished:
                    key.data(key)
        for fd in list(self.fds):
            self._close(fd)
        self.selector.close()
        return self.code

    def _close(self, fd: int) -> None:
        with contextlib.suppress(KeyError):
            self.selector.unregister(fd)
        os.close(fd)
        self.fds.discard(fd)

    def _on_parent(self, key: selectors.SelectorKey) -> None:
        if not self.protocol.fill():
            kill_all(self.config.pid_namespace)
            sys.exit(0)  # the parent is gone
        while (command := self.protocol.pending()) is not None:
            if "kill" in command:  # the rest of its processes go once it has been waited for
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.child, signal.SIGKILL)
            elif "hidden" in command and self.phase == "public":
                self.phase, self.hidden = "hidden", command["hidden"].encode()
                self.selector.register(self.hidden_w, selectors.EVENT_WRITE, self._on_hidden_writable)

    def _on_notify(self, key: selectors.SelectorKey) -> None:
        chunk = os.read(self.notify_r, 1 << 16)
        if not chunk:
            self.selector.unregister(self.notify_r)
        self.lines += chunk
        *complete, self.lines = self.lines.split(b"\n")
        self.lines = self.lines[-MAX_LINE:]  # learner code may write here too: bounded, parsed, never trusted
        for line in complete:
            if line.startswith(b"progress ") and len(line) < MAX_LINE:
                self._progress(line[9:])
            elif line == b"public" and self.phase == "cells" and self.job["hidden"] and _latched(self.child):
                self.phase = "public"  # the notebook is over: its outputs go as they are now
                self.protocol.send({"public": read_tree(str(self.out), self.config.max_output_bytes)})

    def _progress(self, text: bytes) -> None:
        """Pass on a progress record: any during the notebook, of checks only after it."""
        try:
            record = json.loads(text)
        except ValueError:
            return
        if self.phase == "cells" or (isinstance(record, dict) and record.get("phase") in ("check", "done")):
            self.protocol.send({"progress": record})

    def _on_child_exit(self, key: selectors.SelectorKey) -> None:
        self.code = os.waitstatus_to_exitcode(os.waitpid(self.child, 0)[1])
        self.finished = True

    def _on_hidden_writable(self, key: selectors.SelectorKey) -> None:
        try:
            self.hidden = self.hidden[os.write(self.hidden_w, self.hidden):]
        except OSError:  # the child stopped reading
            self.hidden = b""
        if not self.hidden:
            self._close(self.hidden_w)


def _latched(pid: int) -> bool:
    """Whether the child has marked the end of its notebook (END_OF_NOTEBOOK on top of its filter).

    Failing to read it (we cannot open a file: our limits were lowered) ends the zygote, rather
    than leave the child waiting for hidden checks until the notebook's deadline.
    """
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):  # it has just ended: its exit comes next
        return False
    counts = [line.split()[1:] for line in status.splitlines() if line.startswith("Seccomp_filters:")]
    return bool(counts) and int(counts[0][0]) >= 2


def run_one(config: Config, state: dict, message: dict) -> None:
    """Fork the processes of one submission, relay their events, clean up after them."""
    protocol: Protocol = state["protocol"]
    drifted = restore(config, state["settings"])
    if drifted:  # never fork from a changed zygote: the parent starts a fresh sandbox for this submission
        protocol.send({"tainted": ", ".join(drifted)})
        os._exit(TAINTED)
    job = message["run"]
    Path(job["notebook"]).parent.mkdir(exist_ok=True)
    Path(job["notebook"]).write_text(message["notebook"])
    out = Path(job["out"])
    out.mkdir(parents=True, exist_ok=True)
    code = Submission(config, state, job).run()
    kill_all(config.pid_namespace)
    files = read_tree(str(out), config.max_output_bytes)
    protocol.send({"done": {"code": code, "files": files}})
    for folder in config.wipe:
        empty(folder)
    if config.pid_namespace:
        remove_ipc()
        clear_keyrings()
    protocol.send({"ready": True})  # clean again: the parent may send the next submission


def main(config_json: str) -> None:
    config = Config(**json.loads(config_json))
    config.preload = tuple(config.preload)
    sys.path[:] = [p for p in sys.path if p not in ("", os.getcwd(), config.job_dir)]
    if config.pid_namespace:
        enter_namespaces()
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
