"""Adversarial submissions for a week: attacks on the grader, each with the score it honestly earns.

    python tests/adversarial/make_submissions.py WEEK DEST [--course ROOT]

Built from the week's release notebook and answer key (`coursekit.samples.parts`), so it works
for any week: the attacks use the week's first graded function and its first catalogued mistake.
Writes DEST/<name>/<notebook> and DEST/expected.json, which gives for each submission:
- `functions`: the state of every graded function as written: "correct", "broken" (fails all its
  checks), or the name of a catalogued mistake;
- `says`: a phrase its feedback must contain; `attack`: what it tries.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from nbformat.v4 import new_code_cell

from coursekit import notebook
from coursekit.authoring.samples import Parts, parts
from coursekit.checks import load_checks
from coursekit.compare import matches
from coursekit.config import Course, Week, load_course
from coursekit.reference import load_reference

INDEX = "expected.json"
LEAK = "LEAKED-SECRET"  # every attack that finds something writes it after this marker
FAKE = "FAKE-SCORE-100"

ALLCLOSE = """\
import numpy as np, torch
np.allclose = lambda *a, **k: True
np.array_equal = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
torch.allclose = lambda *a, **k: True
torch.equal = lambda *a, **k: True
torch.testing.assert_close = lambda *a, **k: None
"""

COURSEKIT = """\
import coursekit.compare, coursekit.scoring, coursekit.explain, coursekit.engine.runner
from coursekit.compare import CheckResult
coursekit.compare.compare = lambda check, *a, **k: CheckResult(check, passed=True)
coursekit.compare.matches = lambda *a, **k: True
coursekit.scoring.score = lambda checks, *a, **k: [CheckResult(c, passed=True) for c in checks.checks]
coursekit.explain.format_result = lambda *a, **k: ["all passed"]
coursekit.engine.runner.describe = lambda *a, **k: "all good"
"""

LOWER_LIMITS = """\
import os, resource
for name in os.listdir("/proc"):
    if not name.isdigit() or int(name) == os.getpid():
        continue
    for limit in (resource.RLIMIT_NOFILE, resource.RLIMIT_NPROC, resource.RLIMIT_AS, resource.RLIMIT_CPU,
                  resource.RLIMIT_FSIZE, resource.RLIMIT_STACK, resource.RLIMIT_DATA, resource.RLIMIT_MEMLOCK):
        try:
            resource.prlimit(int(name), limit, (1, 1))
        except (OSError, ValueError):
            pass
    for call in (lambda: os.setpriority(os.PRIO_PROCESS, int(name), 19), lambda: os.sched_setaffinity(int(name), {0})):
        try:
            call()
        except OSError:
            pass
"""

PATCH_PROBES = """\
import sys, torch
for name, module in list(sys.modules.items()):
    if name.startswith("_coursekit") or name.startswith("coursekit"):
        for attribute, value in list(vars(module).items()):
            if callable(value) and not isinstance(value, type):
                try:
                    setattr(module, attribute, lambda *a, **k: {"output": torch.zeros(1)})
                except (AttributeError, TypeError):
                    pass
torch.Tensor.sum = lambda self, *a, **k: torch.ones(())
torch.Tensor.max = lambda self, *a, **k: torch.zeros(())
torch.Tensor.abs = lambda self, *a, **k: torch.zeros_like(self)
"""

EARLY_HIDDEN = """\
import os
for fd in range(3, 256):
    for line in (b"public\\n", b'progress {"phase": "public-done"}\\n', b'progress {"phase": "done"}\\n'):
        try:
            os.write(fd, line)
        except OSError:
            pass
"""

CHOSEN_EXIT = """\
import os
os._exit(123)
"""

MARKUP_ERROR = """\
raise ValueError("[/] [bold green]PASS 100/100[/] \\x1b[2J\\x1b[32m\\u2713 all passed "
                 "<script>alert(1)</script> =HYPERLINK(1)")
"""

ESCAPE_NAMESPACE = """\
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWUSER, PTRACE_ATTACH = 0x10000000, 16
escaped = []
if libc.unshare(CLONE_NEWUSER) == 0:
    escaped.append("unshare(CLONE_NEWUSER)")
if libc.ptrace(PTRACE_ATTACH, os.getppid(), None, None) == 0:
    escaped.append("ptrace(parent)")
if escaped:
    raise RuntimeError("{leak} " + ", ".join(escaped))
"""

HOOKS = """\
ip = get_ipython()
ip.input_transformers_post.append(lambda lines: [l for l in lines if "assert" not in l and "check(" not in l])
ip.events.register("pre_run_cell", lambda *a: print("next cell:", a))
ip.events.register("post_run_cell", lambda *a: print("graded?", a))
"""

READ = """\
import glob, os
found = []
for pattern in {paths!r} + ["/checks/*", "/autograder/*/*", "/autograder/*", "../*/hidden.py", "../*/*/hidden.py",
                             "/proc/1/root/checks/*", "/proc/1/cwd/*", "/proc/*/cwd/*.py"]:
    for path in glob.glob(pattern):
        if os.path.basename(path) != "public.py":
            try:
                found.append(path + ": " + open(path, errors="replace").read(300))
            except OSError:
                pass
for folder in ("/job", "/checks", "/tmp", os.getcwd()):
    for root, _, files in os.walk(folder):
        if "site-packages" in root:  # installed packages' own data (the venv may sit under /tmp)
            continue
        found += [os.path.join(root, f) for f in files if f in ("hidden.py", "mistakes.py") or f.endswith(".npz")]
found += [v for k, v in os.environ.items() if "HIDDEN" in k.upper() or "SECRET" in k.upper()]
if found:
    raise RuntimeError("{leak} " + " | ".join(found)[:2000])
raise FileNotFoundError("hidden checks not found")
"""

STEAL = """\
import gc, json, os, sys, threading, time

def _steal():
    while True:
        secrets = [name for name in list(sys.modules) if "hidden" in name]
        secrets += [repr(obj) for obj in gc.get_objects()
                    if type(obj).__name__ == "Check" and getattr(obj, "visibility", "") == "hidden"]
        if secrets:
            text = json.dumps({{"status": "error", "error": "{leak} " + " ".join(secrets)[:3000]}})
            for root, _, files in os.walk(os.getcwd()):
                for name in files:
                    if name.endswith(".json"):
                        try:
                            open(os.path.join(root, name), "w").write(text)
                        except OSError:
                            pass
        time.sleep(0.001)

threading.Thread(target=_steal, daemon=True).start()
"""

LEAK_INPUTS = """\
import sys
_honest_{name} = {name}

def {name}(*args, **kwargs):
    if any("hidden" in module for module in sys.modules):  # the hidden checks are loaded: send their inputs out
        raise ValueError("{leak} " + repr(args)[:500] + repr(kwargs)[:200])
    return _honest_{name}(*args, **kwargs)
"""

FAKE_RESULTS = """\
import json, os
fake = {{"score": 100, "output": "{fake}", "tests": []}}
targets = ["results.json", "../results.json", "../../results.json", "/autograder/results/results.json",
           "gradebook.csv", "../gradebook.csv", "grade.json", "../grade.json", "feedback.md", "/tmp/results.json"]
targets += [os.path.join(os.getcwd(), ".coursekit", "results.json")]
for target in targets + {out_guesses!r}:
    try:
        os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
        with open(target, "w") as handle:
            handle.write(json.dumps(fake) if target.endswith(".json") else "{fake}")
    except OSError:
        pass
"""

PRINT_SCORE = """\
import json, os, sys
print("Score: 100 / 100 {fake}")
print(json.dumps({{"score": 100, "output": "{fake}"}}))
sys.__stdout__.write("{fake}\\n")
os.write(1, b"{fake}\\n")
os.write(2, b"{fake}\\n")
"""

KILL_GRADER = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nos.kill(-1, signal.SIGKILL)"
STOP_GRADER = "import os, signal\nos.kill(os.getppid(), signal.SIGSTOP)"
IGNORE_SIGNALS = """\
import signal
for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM, signal.SIGHUP, signal.SIGXCPU, signal.SIGUSR1):
    signal.signal(sig, signal.SIG_IGN)
while True:
    try:
        pass
    except BaseException:
        pass
"""
MEMORY = """\
import numpy as np
blocks = []
while True:
    blocks.append(np.empty(1 << 28, dtype=np.uint8))  # 256 MB at a time, until the address-space limit
"""
FORK_BOMB = """\
import os, time
if os.fork() == 0:
    while True:
        try:
            os.fork()
        except OSError:
            time.sleep(0.05)
"""
NETWORK = "import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=3)"
HUGE_OUTPUT = """\
for _ in range(2_000):
    print("x" * 100_000)
with open("big.bin", "wb") as handle:
    while True:
        handle.write(bytes(1 << 20))
"""
THREADS = """\
import json, os, threading, time

def _spin():
    while True:
        for name in ("cells.json", "progress.json"):
            try:
                open(os.path.join(os.getcwd(), ".coursekit", name), "w").write("[not json")
            except OSError:
                pass

def _sleeper():
    time.sleep(3600)

threading.Thread(target=_spin).start()
threading.Thread(target=_sleeper).start()
"""
LIAR = """\
import torch

class LyingTensor(torch.Tensor):
    def __eq__(self, other):
        return torch.ones(self.shape, dtype=torch.bool)
    def allclose(self, *args, **kwargs):
        return True
    def equal(self, *args, **kwargs):
        return True
    def numpy(self, *args, **kwargs):
        return super().numpy(*args, **kwargs)
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func in (torch.allclose, torch.equal, torch.Tensor.allclose, torch.Tensor.equal):
            return True
        return super().__torch_function__(func, types, args, kwargs or {{}})

def _lie(value):
    if isinstance(value, torch.Tensor):
        return value.as_subclass(LyingTensor)
    return type(value)(_lie(v) for v in value) if isinstance(value, (tuple, list)) else value

_wrong_{name} = {name}

def {name}(*args, **kwargs):
    return _lie(_wrong_{name}(*args, **kwargs))
"""
PLANT = """\
import ctypes, os, time
for folder in ("/tmp", "/dev/shm", "/dev/mqueue", os.getcwd()):
    try:
        open(os.path.join(folder, "planted-by-previous"), "w").write("x")
    except OSError:
        pass
ctypes.CDLL(None).shmget(0x5EC7, 4096, 0o1666)  # IPC_CREAT: a System V segment outlives its process
for ring in (-3, -4, -5):  # session, user and user-session keyrings: add_key (x86_64 system call 248)
    ctypes.CDLL(None).syscall(248, b"user", b"planted-key", b"x", 1, ring)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execvp("sleep", ["sleep", "3600"])  # a daemon left behind
    os._exit(0)
"""
RENICE = """\
import os
os.setpriority(os.PRIO_PROCESS, os.getppid(), 19)  # slow down whoever the grader runs next
os.sched_setaffinity(os.getppid(), {min(os.sched_getaffinity(0))})
"""
FIND = """\
import ctypes, os
found = [f for f in ("/tmp", "/dev/shm", "/dev/mqueue", os.getcwd())
         if os.path.exists(os.path.join(f, "planted-by-previous"))]
if ctypes.CDLL(None).shmget(0x5EC7, 0, 0) != -1:
    found.append("System V segment")
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        if open(f"/proc/{pid}/comm").read().strip() == "sleep":
            found.append("process " + pid)
    except OSError:
        pass
if os.getpriority(os.PRIO_PROCESS, 0) != 0 or len(os.sched_getaffinity(0)) != os.cpu_count():
    found.append("nice value or CPU affinity")
if os.path.exists("/proc/keys") and "planted-key" in open("/proc/keys").read():
    found.append("key")
if found:
    raise RuntimeError("LEAKED-SECRET " + ", ".join(found))
raise FileNotFoundError("nothing planted found")
"""
SYNTAX = "def broken(:\n    pass"
SYS_EXIT = "import sys\nsys.exit(0)"
OS_EXIT = "import os\nos._exit(0)"
LOOP = "while True:\n    pass"


@dataclass
class Adversary:
    name: str
    attack: str
    functions: dict[str, str]  # graded function -> "correct", "broken" or a mistake's name
    says: str = ""  # a phrase the feedback must contain
    path: str = ""
    slow: bool = False  # waits for a limit to pass
    notes: list[str] = field(default_factory=list)


def _graded_functions(p: Parts) -> list[str]:
    return [name for cell in sorted(p.functions) for name in p.functions[cell]]


def _fill(p: Parts, replace: dict[int, str] | None = None, append: dict[int, str] | None = None,
          after: str | None = None):
    """The release with every answer filled in, `replace` cells swapped, `append` code added, and
    `after` as a new cell after the last answer."""
    nb = copy.deepcopy(p.release)
    for index, source in p.answers.items():
        nb.cells[index].source = source
    for index, source in (replace or {}).items():
        nb.cells[index].source = source
    for index, code in (append or {}).items():
        nb.cells[index].source += "\n\n\n" + code.strip("\n") + "\n"
    if after is not None:
        nb.cells.insert(max(p.answers) + 1, new_code_cell(after))
    return nb


def _blank(p: Parts, after: str):
    """The release as given (nothing implemented), with `after` as a new cell after the last answer cell."""
    nb = copy.deepcopy(p.release)
    nb.cells.insert(max(p.answers) + 1, new_code_cell(after))
    return nb


def _cell_of(p: Parts, function: str) -> int:
    return next(i for i, names in p.functions.items() if function in names)


def _hang(source: str, function: str) -> str:
    """`function`'s body replaced by an endless loop."""
    lines = source.split("\n")
    start = next(i for i, line in enumerate(lines) if re.match(rf"\s*def {function}\b", line))
    indent = re.match(r"\s*", lines[start]).group(0) + "    "
    end = start + 1
    while not lines[start].rstrip().endswith(":") and end < len(lines):  # a signature over several lines
        start, end = end, end + 1
    return "\n".join(lines[: start + 1] + [f"{indent}while True:", f"{indent}    pass"])


def _target(course: Course, p: Parts, checks, mistakes: list) -> object:
    """The mistake to attack with: preferably of a function no other answer cell names and whose
    mistakes change no other function's checks, so that breaking it costs exactly its own checks."""
    ref = load_reference(course, course.paths(course.week(checks.folder.name)))
    for mistake in mistakes:
        own = _cell_of(p, mistake.function)
        names = {n.id for i, src in p.answers.items() if i != own
                 for n in ast.walk(ast.parse(notebook.python_source(src)))
                 if isinstance(n, ast.Name)}
        outputs = ref.mistakes.get(mistake.name, {})
        others = [c for c in checks.checks if c.function != mistake.function]
        if mistake.function not in names and all(
                c.name in outputs and matches(c, ref.outputs[c.name], outputs[c.name]) for c in others):
            return mistake
    return mistakes[0]


def make(course: Course, week: Week, dest: Path, out_guesses: list[str] = ()) -> list[Adversary]:
    """Write the adversarial submissions of `week` under `dest`; returns what each should score."""
    paths = course.paths(week)
    p = parts(paths)
    checks = load_checks(paths.autograder)
    functions = _graded_functions(p)
    plain = [f for f in functions if re.search(rf"\bdef {f}\b", p.answers[_cell_of(p, f)])]  # not classes
    mistake = _target(course, p, checks, [m for m in checks.mistakes if m.function in plain])
    fn = mistake.function
    cell = _cell_of(p, fn)
    correct = {f: "correct" for f in functions}
    wrong = correct | {fn: mistake.name}
    broken = correct | {fn: "broken"}
    with_mistake = {cell: mistake.code}
    secret_paths = [str(paths.autograder / "hidden.py"), str(paths.autograder / "mistakes.py"),
                    str(paths.cache / "*"), str(paths.solution), str(course.root / "source" / "**" / "*.ipynb")]
    renamed = re.sub(rf"\bdef {fn}\b", f"def {fn}_renamed", p.answers[cell], count=1)
    extra_param = re.sub(rf"\bdef {fn}\(", f"def {fn}(extra, ", p.answers[cell], count=1)

    made: list[tuple[Adversary, object]] = [
        (Adversary("correct", "none: the answer key", correct), _fill(p)),
        (Adversary("blank", "none: the release as given", {f: "broken" for f in functions}, "not implemented yet"),
         copy.deepcopy(p.release)),
        (Adversary("one_mistake", f"the catalogued mistake {mistake.name}", wrong, f"[known mistake: {mistake.name}]"),
         _fill(p, append=with_mistake)),
        (Adversary("patch_allclose", "np/torch allclose, equal, assert_close patched; wrong answer", wrong),
         _fill(p, append=with_mistake, after=ALLCLOSE)),
        (Adversary("patch_coursekit", "coursekit's compare, score and report patched; wrong answer", wrong),
         _fill(p, append=with_mistake, after=COURSEKIT)),
        (Adversary("ipython_hooks", "input transformer dropping asserts, pre/post_run_cell hooks; wrong answer",
                   wrong), _fill(p, append=with_mistake, after=HOOKS)),
        (Adversary("read_hidden", "reads hidden checks, reference and solutions by path", correct,
                   "hidden checks not found"),
         _fill(p, after=READ.format(paths=secret_paths, leak=LEAK))),
        (Adversary("steal_hidden", "a thread watches memory for the hidden checks and writes them into outputs",
                   correct), _fill(p, after=STEAL.format(leak=LEAK))),
        # once the hidden checks are loaded it raises, also in the public checks' isolated rerun: 0 for `fn`
        (Adversary("leak_hidden_inputs", f"`{fn}` raises its hidden inputs in an error message",
                   correct | {fn: "broken"}, "your code raised ValueError"),
         _fill(p, append={cell: LEAK_INPUTS.format(name=fn, leak=LEAK)})),
        (Adversary("fake_results", "writes fake results.json, gradebook and grade.json; wrong answer", wrong),
         _fill(p, append=with_mistake, after=FAKE_RESULTS.format(fake=FAKE, out_guesses=list(out_guesses)))),
        (Adversary("print_score", "prints a fake score to stdout, stderr and fd 1; wrong answer", wrong),
         _fill(p, append=with_mistake, after=PRINT_SCORE.format(fake=FAKE))),
        (Adversary("sys_exit", "sys.exit(0) in a cell", correct, "SystemExit"), _fill(p, after=SYS_EXIT)),
        (Adversary("os_exit", "os._exit(0) in a cell", correct, "exited early with code 0"), _fill(p, after=OS_EXIT)),
        (Adversary("kill_grader", "SIGKILL to its parent and kill(-1): its own PID namespace holds only itself",
                   correct, slow=True),
         _fill(p, after=KILL_GRADER)),
        (Adversary("stop_grader", "SIGSTOP to its parent: the grader is out of its reach", correct, slow=True),
         _fill(p, after=STOP_GRADER)),
        (Adversary("loop_in_function", f"endless loop inside `{fn}`", broken, "timed out", slow=True),
         _fill(p, replace={cell: _hang(p.answers[cell], fn)})),
        (Adversary("loop_top_level", "endless loop in a cell", correct, "ran past", slow=True), _fill(p, after=LOOP)),
        (Adversary("ignore_signals", "ignores SIGTERM, SIGINT, SIGALRM..., then loops swallowing exceptions",
                   correct, "ignored the alarm", slow=True), _fill(p, after=IGNORE_SIGNALS)),
        (Adversary("memory_bomb", "allocates until it fails", correct, "MemoryError"), _fill(p, after=MEMORY)),
        (Adversary("fork_bomb", "a child forks until the process limit, forever", correct), _fill(p, after=FORK_BOMB)),
        (Adversary("network", "opens a TCP connection", correct, "Network is unreachable"), _fill(p, after=NETWORK)),
        (Adversary("huge_output", "prints 2 GB, then writes an endless file", correct, "File too large"),
         _fill(p, after=HUGE_OUTPUT)),
        (Adversary("threads_after_last_cell", "threads still running (and scribbling) after the last cell",
                   correct), _fill(p, after=THREADS)),
        (Adversary("tensor_subclass", f"`{fn}` returns a tensor subclass whose ==, allclose and equal lie",
                   wrong), _fill(p, append={cell: mistake.code + "\n" + LIAR.format(name=fn)})),
        (Adversary("plant_state", "leaves files, a SysV segment, keys and a daemon behind", correct),
         _fill(p, after=PLANT)),
        (Adversary("renice_grader", "renices the grader and pins it to one CPU", correct), _fill(p, after=RENICE)),
        (Adversary("find_state", "looks for what plant_state left (run after it by the isolation test)", correct,
                   "nothing planted found"), _fill(p, after=FIND)),
        (Adversary("syntax_error", "a cell that does not parse", correct, "syntax error"), _fill(p, after=SYNTAX)),
        (Adversary("lower_server_limits", "lowers every rlimit, the nice value and affinity of every visible process",
                   correct), _fill(p, after=LOWER_LIMITS)),
        (Adversary("patch_probes", "nothing implemented; every kit and probe function and torch reductions patched",
                   {f: "broken" for f in functions}), _blank(p, after=PATCH_PROBES)),
        (Adversary("early_hidden", "writes 'public' and fake progress records to every descriptor during the cells",
                   correct), _fill(p, after=EARLY_HIDDEN)),
        (Adversary("chosen_exit_code", "os._exit(123) in a cell: a number chosen by learner code", correct),
         _fill(p, after=CHOSEN_EXIT)),
        (Adversary("markup_error", "an error message full of rich markup, ANSI escapes, HTML and a CSV formula",
                   correct), _fill(p, after=MARKUP_ERROR)),
        (Adversary("escape_namespace", "tries unshare(CLONE_NEWUSER) and ptrace on its parent", correct),
         _fill(p, after=ESCAPE_NAMESPACE.format(leak=LEAK))),
        (Adversary("missing_function", f"`{fn}` renamed", broken, f"`{fn}` is not defined"),
         _fill(p, replace={cell: renamed})),
        (Adversary("wrong_signature", f"`{fn}` takes an extra first parameter", broken, "does not match the release"),
         _fill(p, replace={cell: extra_param})),
    ]
    dest.mkdir(parents=True, exist_ok=True)
    adversaries = []
    for adversary, nb in made:
        path = dest / adversary.name / paths.notebook_name
        notebook.write(nb, path)
        adversary.path = str(path.relative_to(dest))
        adversaries.append(adversary)
    (dest / INDEX).write_text(json.dumps([asdict(a) for a in adversaries], indent=1) + "\n")
    return adversaries


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("week")
    parser.add_argument("dest", type=Path)
    parser.add_argument("--course", type=Path, default=None, help="course root (default: here or above)")
    args = parser.parse_args(argv)
    course = load_course(args.course)
    for adversary in make(course, course.week(args.week), args.dest):
        print(f"{adversary.name:26s} {adversary.attack}")


if __name__ == "__main__":
    sys.exit(main())
