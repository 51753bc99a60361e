"""Grading under attack: one submission cannot reach the grader or another submission, gets the
hidden checks only once its notebook is over, and cannot choose what its feedback says about a crash.

Each attack is a cell appended to the answer key of the mini course, graded on one fork server
shared by the module (as a batch worker would), so a submission that damaged the server would
show in the honest ones graded after it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from coursekit.config import load_course
from coursekit.engine.forkserver import ForkServer
from coursekit.engine.sandbox import SANDBOX_PROCESSES, Rlimits, bubblewrap_works
from coursekit.grading.grade import grade_notebook
from coursekit.grading.week import WeekGrader

pytestmark = pytest.mark.skipif(not bubblewrap_works(), reason="needs a working bubblewrap (apt install bubblewrap)")

NOTEBOOK = "mini.ipynb"

REACH_THE_SERVER = """\
import os, resource
for name in os.listdir("/proc"):
    if name.isdigit() and int(name) != os.getpid():
        for limit in (resource.RLIMIT_NPROC, resource.RLIMIT_NOFILE, resource.RLIMIT_AS, resource.RLIMIT_CPU):
            try:
                resource.prlimit(int(name), limit, (1, 1))
            except (OSError, ValueError):
                pass
        for call in (lambda: os.setpriority(os.PRIO_PROCESS, int(name), 19),
                     lambda: os.sched_setaffinity(int(name), {0})):
            try:
                call()
            except OSError:
                pass
try:
    resource.prlimit(os.getppid(), resource.RLIMIT_NPROC, (1, 1))  # the parent: 0 here, which is this process
except (OSError, ValueError):
    pass
"""

LOOK_AROUND = """\
import errno, os
seen = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
others = [p for p in seen if p != os.getpid()]
try:
    os.kill(-1, 0)
    signalled = "something"
except OSError as exc:
    signalled = errno.errorcode[exc.errno]
report = f"pid {os.getpid()} ppid {os.getppid()} sees {seen} others {others} kill(-1) {signalled}"
contained = others == [] and os.getppid() == 0 and signalled == "ESRCH"
raise RuntimeError(("CONTAINED " if contained else "ESCAPED ") + report)
"""

ASK_FOR_HIDDEN = """\
import os
for fd in range(0, 1024):
    for line in (b"public\\n", b'progress {"phase": "public-done"}\\n', b'progress {"phase": "cell", "cell": 0}\\n',
                 b"hidden\\n", b'{"hidden": "x"}\\n'):
        try:
            os.write(fd, line)
        except OSError:
            pass
"""

LOOK_FOR_HIDDEN = """\
import gc, os, sys, time
time.sleep(0.5)  # time for an answer to come
found = [m for m in sys.modules if "hidden" in m]
found += [repr(o)[:80] for o in gc.get_objects()
          if type(o).__name__ == "Check" and getattr(o, "visibility", "") == "hidden"]
for fd in range(3, 1024):
    try:
        blocking = os.get_blocking(fd)
        os.set_blocking(fd, False)
        data = os.read(fd, 1 << 16)
    except OSError:
        continue
    finally:
        try:
            os.set_blocking(fd, blocking)
        except (OSError, NameError):
            pass
    if b"CHECKS" in data or b"def " in data:
        found.append(f"fd {fd}")
raise RuntimeError(("LEAKED " + " ".join(found)) if found else "NO-HIDDEN-YET")
"""

END_OWN_NOTEBOOK = """\
import ctypes, os, struct
libc = ctypes.CDLL(None, use_errno=True)
class Prog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
allow = ctypes.create_string_buffer(struct.pack("<HBBI", 6, 0, 0, 0x7FFF0000), 8)
libc.prctl(22, 2, ctypes.byref(Prog(1, ctypes.addressof(allow))), 0, 0)  # the end-of-notebook latch, set early
for fd in range(3, 1024):
    try:
        os.write(fd, b"public\\n")
    except OSError:
        pass
"""

FORK_BOMB = """\
import os
if os.fork() == 0:
    while True:  # spins at the process limit: every core it gets, it keeps
        try:
            os.fork()
        except OSError:
            pass
"""

REACH_THE_PARENT = """\
import os, resource
for limit in (resource.RLIMIT_NOFILE, resource.RLIMIT_NPROC, resource.RLIMIT_AS):
    try:
        resource.prlimit(os.getppid(), limit, (1, 1))
    except (OSError, ValueError):
        pass
os.setpriority(os.PRIO_PROCESS, os.getppid(), 19)
"""

NOT_RENICED = "import os\nif os.getpriority(os.PRIO_PROCESS, 0):\n    raise RuntimeError('RENICED')"

KERNEL_INTERFACES = """\
import ctypes, errno, os
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWUSER, SIGCHLD = 0x10000000, 17
calls = {  # x86_64 numbers where glibc has no wrapper
    "unshare(CLONE_NEWUSER)": lambda: libc.unshare(CLONE_NEWUSER),
    "clone(CLONE_NEWUSER)": lambda: libc.syscall(56, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0),
    "ptrace(TRACEME)": lambda: libc.ptrace(0, 0, None, None),
    "keyctl": lambda: libc.syscall(250, 0, -3, 0),
    "bpf": lambda: libc.syscall(321, 0, None, 0),
    "mount": lambda: libc.mount(b"none", b"/tmp", b"tmpfs", 0, None),
    "perf_event_open": lambda: libc.syscall(298, None, 0, -1, -1, 0),
    "init_module": lambda: libc.syscall(175, None, 0, b""),
}
open_calls = []
for name, call in calls.items():
    result = call()
    if result == 0 and name.startswith("clone"):
        os._exit(0)  # the new process, had the filter let it be made
    if result != -1 or ctypes.get_errno() not in (errno.EPERM, errno.ENOSYS):
        open_calls.append(f"{name}={result}/{errno.errorcode.get(ctypes.get_errno())}")
status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
state = {k: status[k].split()[0] for k in ("Uid", "CapEff", "CapBnd", "NoNewPrivs", "Seccomp")}
if state["Uid"] == "0" or int(state["CapEff"], 16) or int(state["CapBnd"], 16) or state["NoNewPrivs"] != "1":
    open_calls.append(str(state))
raise RuntimeError(("OPEN " + " ".join(open_calls)) if open_calls else "BLOCKED")
"""

EXIT_123 = "import os\nos._exit(123)"

CRASH_IN_HIDDEN_CHECKS = """\
import os, sys
_softmax = softmax

def softmax(x, dim=-1):
    if any("hidden" in name for name in sys.modules):  # the hidden checks are loaded: say something with numbers
        for fd in range(3, 1024):
            try:
                os.write(fd, b'progress {"phase": "cell", "cell": 2}\\n')
            except OSError:
                pass
        os._exit(123)
    return _softmax(x, dim)
"""


@pytest.fixture(scope="module")
def course(released_minicourse):
    return load_course(released_minicourse)


@pytest.fixture(scope="module")
def grader(course):
    return WeekGrader.load(course, course.weeks[0])


@pytest.fixture(scope="module")
def server(grader):
    with grader.server() as server:
        server.start()
        yield server


@pytest.fixture
def grade(course, grader, server, tmp_path):
    """Grade the answer key with `cells` appended on `on` (the module's server): (gradebook row, what feedback says)."""
    key = json.loads(course.paths(course.weeks[0]).solution.read_text())

    def run(name: str, *cells: str, on: ForkServer = server) -> tuple[dict, str]:
        notebook = dict(key, cells=key["cells"] + [
            {"cell_type": "code", "metadata": {}, "source": c, "outputs": [], "execution_count": None} for c in cells])
        path = tmp_path / "in" / name / NOTEBOOK
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(notebook))
        out = tmp_path / "out" / name
        row = grade_notebook(course, course.weeks[0], path, out, grader=grader, server=on).row()
        results = json.loads((out / "results.json").read_text())
        said = [(out / "feedback.md").read_text(), results["output"], *(t["output"] for t in results["tests"])]
        return row, "\n".join(said + row["problems"])
    return run


def full_marks(row: dict) -> bool:
    return row["earned"] == pytest.approx(row["possible"]) and row["possible"] > 0


def limits_of(pid: int) -> str:
    return Path(f"/proc/{pid}/limits").read_text()


def test_lowering_the_servers_limits_costs_no_other_submission(grade, server):
    zygote, limits = server.zygote_pid, limits_of(server.zygote_pid)
    first, _ = grade("honest_before")
    attack, _ = grade("attack", REACH_THE_SERVER)
    after, _ = grade("honest_after")
    assert full_marks(first) and full_marks(after), (first["problems"], after["problems"])
    assert not first["problems"] and not after["problems"]
    assert server.zygote_pid == zygote and limits_of(zygote) == limits  # it never reached the server
    assert attack["possible"] > 0


def test_learner_code_cannot_find_or_signal_the_zygote(grade):
    row, _ = grade("look_around", LOOK_AROUND)
    assert any("CONTAINED pid 1 ppid 0 sees [1]" in p for p in row["problems"]), row["problems"]
    assert full_marks(row)


def test_no_byte_learner_code_writes_brings_the_hidden_checks_early(grade):
    row, feedback = grade("ask_early", ASK_FOR_HIDDEN, LOOK_FOR_HIDDEN)
    assert any("NO-HIDDEN-YET" in p for p in row["problems"]), row["problems"]
    assert "LEAKED" not in feedback
    assert full_marks(row)


def test_a_notebook_that_ends_itself_early_gets_nothing_out(grade):
    _, feedback = grade("ends_early", END_OWN_NOTEBOOK, LOOK_FOR_HIDDEN)
    assert "LEAKED" not in feedback  # it may read hidden.py then, but nothing it does after reaches feedback


def test_a_fork_bomb_costs_only_its_own_cell_and_the_same_each_time(grade):
    rows = [grade(f"fork_bomb_{i}", FORK_BOMB)[0] for i in range(2)]
    assert all(full_marks(r) for r in rows), [r["problems"] for r in rows]
    assert rows[0]["problems"] == rows[1]["problems"]
    after, _ = grade("honest_after_fork_bomb")
    assert full_marks(after) and not after["problems"]


def test_no_user_namespace_ptrace_or_kernel_interface_inside(grade):
    row, _ = grade("kernel", KERNEL_INTERFACES)
    assert any("BLOCKED" in p for p in row["problems"]), row["problems"]
    assert full_marks(row)


def test_numbers_learner_code_chooses_never_reach_feedback(grade):
    row, feedback = grade("chosen_exit", EXIT_123)
    assert full_marks(row) and row["problems"]
    hidden, hidden_feedback = grade("chosen_exit_in_hidden_checks", CRASH_IN_HIDDEN_CHECKS)
    assert hidden["problems"] and not full_marks(hidden)  # its hidden check crashed
    assert "123" not in feedback + hidden_feedback
    assert "cell 2" not in hidden_feedback, hidden["problems"]


def test_a_changed_zygote_is_replaced_before_it_forks_and_no_one_is_charged(grade, server):
    zygote = server.zygote_pid
    os.setpriority(os.PRIO_PROCESS, zygote, 5)  # what it cannot undo: lower its nice value again
    row, _ = grade("after_tampering", NOT_RENICED)
    assert full_marks(row) and not row["problems"], row["problems"]
    assert server.zygote_pid != zygote


def test_without_bubblewrap_lowering_the_servers_limits_costs_no_other_submission(grade, course, grader):
    with grader.server() as fallback:
        fallback.sandbox = Rlimits(course.limits)
        first, _ = grade("fallback_before", NOT_RENICED, on=fallback)
        grade("fallback_attack", REACH_THE_PARENT, on=fallback)
        after, _ = grade("fallback_after", NOT_RENICED, on=fallback)
    assert full_marks(first) and not first["problems"], first["problems"]
    assert full_marks(after) and not after["problems"], after["problems"]


def test_the_sandbox_runs_in_a_cgroup_of_its_own(server, course):
    if server.cgroup is None:
        pytest.skip("needs root and usable cgroups (v2 with its controllers, or v1 pids and memory)")
    folder = server.cgroup.dirs.get("pids", server.cgroup.dirs.get(""))
    assert server.zygote_pid in [int(p) for p in (folder / "cgroup.procs").read_text().split()]
    assert int((folder / "pids.max").read_text()) == course.limits.max_processes + SANDBOX_PROCESSES
