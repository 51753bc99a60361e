"""The parent side of the grading fork server: one sandboxed zygote per worker, reused.

`ForkServer.run(notebook)` grades one notebook in the worker's sandbox and returns the same
`Execution` as `coursekit.engine.execute.execute`, from a fork of a warm interpreter rather than a fresh
one (see coursekit.engine.zygote for the protocol and for why submissions cannot touch each other).
This side trusts nothing the sandbox sends: it keeps only the files a phase may produce,
decodes them itself, checks progress records against the known cells and checks, and bounds
every wait; once the public outputs are taken, a progress record may name a hidden check only,
and a crash is worded by category (`exit_reason`, "ran out of memory" from the cgroup). A zygote
that dies, stops or stops answering is killed with its whole sandbox and started again; the
submission running at that moment is charged with the crash, as with a fresh process. A zygote
that finds itself changed before forking (SandboxTainted) is not the submission's doing: it is
replaced and the submission graded afresh. Where the grader is root and cgroups can be used, the
whole sandbox runs in a cgroup of its own (`sandbox.Cgroup`) bounding its processes and memory.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from coursekit.checks import WeekChecks
from coursekit.config import Course, WeekPaths
from coursekit.engine.execute import Execution, Outcome, exit_reason, run_attempts, take_outputs
from coursekit.engine.runner import ISOLATED, PUBLIC_DONE, SUBMISSION, Job
from coursekit.engine.sandbox import MB, SANDBOX_PROCESSES, Cgroup, Sandbox, choose, limits_table
from coursekit.engine.zygote import Config, Protocol

START_TIMEOUT_S = 180  # importing torch on a loaded machine
CLEANUP_TIMEOUT_S = 30  # from a submission's end to the zygote's next "ready"
KILL_GRACE_S = 5  # from asking the zygote to kill a submission to giving up on the sandbox
POLL_S = 0.5  # how often a quiet sandbox is checked for a stopped zygote
ALARM_GRACE_S = 2  # past a cell's or check's limit, before this side ends it (the runner's alarm comes first)
NOTEBOOK = ".notebook/submission.ipynb"  # under the job folder, out of the way of what learner code lists there
START_MEMORY_MB = 2048  # the sandbox's memory cgroup while the zygote imports, over the course's memory_mb
MEMORY_SLACK_MB = 256  # over what the warm zygote uses, one submission's memory_mb and its tmpfs folders
OUT_OF_MEMORY = "ran out of memory"


class SandboxDied(Exception):
    """The zygote ended, stopped, or broke the protocol; the message is what the submission did."""


class SandboxTainted(Exception):
    """The zygote found itself changed before forking: a fresh sandbox runs the submission, uncharged."""


class ForkServer:
    """A sandboxed zygote for one week, forking one child per submission."""

    def __init__(self, course: Course, paths: WeekPaths, checks: WeekChecks, *, worker: int = 0,
                 preload: tuple[str, ...] = (), sandbox: Sandbox | None = None, input_seed: int = 0,
                 key: dict[str, str] | None = None):
        self.course, self.paths, self.checks = course, paths, checks
        self.input_seed = input_seed  # the probes' inputs: drawn fresh for grading (coursekit.probing)
        self.public = {c.name for c in checks.checks if c.visibility == "public"}
        self.hidden = {c.name for c in checks.checks if c.visibility == "hidden"}
        hidden_file = paths.autograder / "hidden.py"
        hidden_source = hidden_file.read_text() if self.hidden and hidden_file.is_file() else None
        self.isolated = self.public if key else set()  # public checks run again with the key's other definitions
        # sent once the notebook is over: hidden.py and the source of the key's graded definitions
        self.secrets = json.dumps({"checks": hidden_source, "key": key}) if hidden_source or key else None
        self.sandbox = sandbox  # chosen at the first start: choose() may refuse, which start() reports
        self.worker = worker
        self.cgroup: Cgroup | None = None  # made at the first start, where cgroups can be used
        self.preload = preload
        self.process: subprocess.Popen | None = None
        self.protocol: Protocol | None = None
        self.zygote_pid: int | None = None
        self.progress: dict | None = None  # the last cell or check the running submission started
        self.home = Path(tempfile.mkdtemp(prefix="coursekit-worker-"))

    @property
    def log_path(self) -> Path:
        """The zygote's stderr: what to read when the sandbox fails."""
        return self.home / "zygote.log"

    # --- the sandbox ------------------------------------------------------------------------

    def _layout(self) -> tuple[Config, list[str]]:
        """The zygote's configuration and its command line, inside this worker's sandbox."""
        limits = self.course.limits
        bundle = self.home / "checks"  # the probe bundle: public.py only (hidden.py comes by the protocol)
        bundle.mkdir(exist_ok=True)
        shutil.copyfile(self.paths.autograder / "public.py", bundle / "public.py")
        data = {f"data/{name}": self.course.root / "data" / name for name in self.paths.week.data}
        bubblewrap = self.sandbox.isolates
        if bubblewrap:
            root = Path("/")
            wipe = ["/job", "/tmp", "/dev/shm", "/dev/mqueue"]
        else:  # files are not isolated: a private folder, emptied after each submission
            root = self.home
            for inside, host in data.items():
                (root / inside).parent.mkdir(parents=True, exist_ok=True)
                if not (root / inside).exists():
                    (root / inside).symlink_to(host.resolve())
            (root / "job").mkdir(exist_ok=True)
            if self.sandbox.uid is not None:  # learner code runs as that uid: the job folder is its, the rest read-only
                self.home.chmod(0o755)
                os.chown(root / "job", self.sandbox.uid, self.sandbox.uid)
            wipe = [str(root / "job")]
        config = Config(
            checks=str(root / "checks"), job_dir=str(root / "job"), wipe=wipe, pid_namespace=bubblewrap,
            cpu_s=limits.notebook_timeout_s, max_output_bytes=limits.max_output_mb << 20, preload=self.preload,
            rlimits={name: list(value) for name, value in limits_table(limits, None).items()},
        )
        argv = [sys.executable, "-P", "-m", "coursekit.engine.zygote", json.dumps(asdict(config))]
        if bubblewrap:
            binds = {Path("/checks"): bundle, **{Path("/") / k: v for k, v in data.items() if v.is_dir()}}
            argv = self.sandbox.command(argv, workdir=Path("/job"), tmpfs=[Path("/job")], binds=binds)
        else:
            argv = self.sandbox.command(argv, workdir=root / "job")
        return config, argv

    def start(self) -> None:
        """Start (or restart) the zygote and wait until it has imported everything.

        RuntimeError if it cannot start, or if no sandbox may run learner code here (`choose`).
        """
        self.stop()
        self.sandbox = self.sandbox or choose(self.course.limits, worker=self.worker)
        self.config, argv = self._layout()
        log = open(self.log_path, "wb")  # noqa: SIM115 - the child keeps it open
        self.process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, start_new_session=True,
            preexec_fn=self._preexec(), cwd=self.home,
        )
        log.close()
        self.protocol = Protocol(self.process.stdout.fileno(), self.process.stdin.fileno())
        try:  # no submission runs yet: a failure here is the grader's, never a student's
            message = self._receive(time.monotonic() + START_TIMEOUT_S)
        except SandboxDied:
            message = None
        if message is None or "ready" not in message:
            tail = self.log_path.read_text(errors="replace")[-1500:]
            self.stop()
            raise RuntimeError(f"the grading sandbox did not start ({self.sandbox.name}): {tail}")
        self.zygote_pid = self._find_zygote()
        if self.cgroup is not None:  # warm now: what the zygote holds, plus one submission (else the start's limit)
            limits = self.course.limits
            tmpfs = 3 * 4 * limits.max_file_mb  # /tmp, /dev/shm and /job, as Bubblewrap sizes them
            with contextlib.suppress(OSError):
                self.cgroup.limit(limits.max_processes + SANDBOX_PROCESSES, self.cgroup.memory_used()
                                  + (limits.memory_mb + tmpfs + MEMORY_SLACK_MB) * MB)

    def _preexec(self) -> Callable[[], None]:
        """Before the sandbox's first process runs: into this worker's cgroup (while root), then the sandbox's own."""
        confine = self.sandbox.preexec()
        if self.cgroup is None:
            self.cgroup = Cgroup.make()
        if self.cgroup is None:
            return confine
        limits, cgroup = self.course.limits, self.cgroup
        cgroup.limit(limits.max_processes + SANDBOX_PROCESSES, (limits.memory_mb + START_MEMORY_MB) * MB)

        def join_then_confine() -> None:
            cgroup.join()
            confine()
        return join_then_confine

    def _find_zygote(self) -> int | None:
        """The zygote's pid as seen from here: the deepest zygote process below the one we started
        (in bubblewrap, a first one makes the namespaces the working one runs in)."""
        frontier, seen, found = [self.process.pid], set(), None
        for _ in range(5):
            if not frontier:
                break
            nxt = []
            for pid in frontier:
                try:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                except OSError:
                    continue
                if b"coursekit.engine.zygote" in cmdline and b"bwrap" not in cmdline.split(b"\0")[0]:
                    found = pid
                try:
                    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
                except OSError:
                    children = []
                nxt += [int(c) for c in children if int(c) not in seen]
                seen.update(nxt)
            frontier = nxt
        return found

    def _stopped(self) -> bool:
        if self.zygote_pid is None:
            return False
        try:
            state = Path(f"/proc/{self.zygote_pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return True
        return state in ("T", "t", "Z", "X")

    def stop(self) -> None:
        """Kill the sandbox and everything in it (its PID namespace ends with its init)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        for stream in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                stream.close()
        self.process.wait()
        if self.cgroup is not None:  # whatever escaped the process group (a daemon) is still in the cgroup
            self.cgroup.empty()
        self.process = self.protocol = self.zygote_pid = None

    def close(self) -> None:
        self.stop()
        if self.cgroup is not None:
            self.cgroup.remove()
        shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self) -> ForkServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- talking to the zygote ------------------------------------------------------------

    def _send(self, message: dict) -> None:
        try:
            self.protocol.send(message)
        except (BrokenPipeError, OSError) as exc:
            raise SandboxDied("killed the grading sandbox") from exc

    def _receive(self, deadline: float) -> dict | None:
        """The next message, or None at the deadline; SandboxDied if the zygote is gone or stopped."""
        with selectors.DefaultSelector() as selector:
            selector.register(self.protocol.read_fd, selectors.EVENT_READ)
            while (message := self._pending()) is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                if not selector.select(min(left, POLL_S)):
                    if self._stopped():
                        raise SandboxDied("stopped the grading process")
                    continue
                if not self.protocol.fill():
                    raise SandboxDied("killed the grading sandbox")
        return message

    def _pending(self) -> dict | None:
        try:
            message = self.protocol.pending()
        except ValueError as exc:
            raise SandboxDied("broke the grading protocol") from exc
        if message is not None and not isinstance(message, dict):
            raise SandboxDied("broke the grading protocol")
        return message

    # --- one submission -------------------------------------------------------------------

    @property
    def _after_notebook(self) -> set[tuple[str, str]]:
        """(variant, check) of every probe run after the notebook: hidden ones and the isolated public ones."""
        return {(SUBMISSION, name) for name in self.hidden} | {(ISOLATED, name) for name in self.isolated}

    def _keep(self, files: object, names: set[tuple[str, str]], cells: bool) -> dict[str, bytes]:
        """The files a phase may produce: outputs of `names` ((variant, check) pairs) and cells.json, decoded."""
        kept: dict[str, bytes] = {}
        if not isinstance(files, dict):
            return kept
        for path, data in files.items():
            parts = str(path).split("/")
            ok = (cells and parts == ["cells.json"]) or (
                len(parts) == 3 and parts[0] == "outputs" and (parts[1], parts[2].rsplit(".", 1)[0]) in names
                and parts[2].rsplit(".", 1)[-1] in ("npz", "json"))
            if ok and isinstance(data, str):
                try:
                    kept[path] = base64.b64decode(data, validate=True)
                except ValueError:
                    continue
        return kept

    def _take(self, files: dict[str, bytes], execution: Execution) -> None:
        take_outputs(files, execution, self.course.limits.max_output_mb << 20)

    def _progress(self, record: object, cells: int) -> dict | None:
        """A progress record the sandbox sent, if it names a real cell or check."""
        if not isinstance(record, dict):
            return None
        phase, cell, check = record.get("phase"), record.get("cell"), record.get("check")
        if phase == "cell" and type(cell) is int and 0 <= cell < cells:  # bool is not a cell
            return {"phase": "cell", "cell": cell}
        if phase == "check" and isinstance(check, str) and record.get("variant") == ISOLATED:
            return {"phase": "check", "variant": ISOLATED, "check": check} if check in self.isolated else None
        if phase == "check" and isinstance(check, str) and check in self.public | self.hidden:  # a list is unhashable
            return {"phase": "check", "variant": SUBMISSION, "check": check}
        if phase in (PUBLIC_DONE, "done"):
            return {"phase": phase}
        return None

    def _phase_limit(self, progress: dict | None) -> float | None:
        """Seconds the cell or check just started may take, if it ignores the runner's own alarm."""
        limits = self.course.limits
        if progress is None:
            return None
        if progress["phase"] == "cell":
            return limits.cell_timeout_s
        if progress["phase"] == "check":
            return self.checks.by_name(progress["check"]).timeout_s or limits.check_timeout_s
        return None if progress["phase"] == PUBLIC_DONE else 0.0  # "done": the child exits at once

    def _follow(self, record: object, cells: int, frozen: bool) -> None:
        """Track the cell or check the sandbox says runs now: once the public outputs are taken, only
        a hidden or isolated check (a cell or public check named then would carry what learner code chose)."""
        progress = self._progress(record, cells)
        if frozen and progress is not None and progress["phase"] != "done" and (
                (progress.get("variant"), progress.get("check")) not in self._after_notebook):
            progress = None
        self.progress = progress or self.progress

    def _attempt(self, job: Job, notebook: str, deadline: float, execution: Execution,
                 cells: int) -> tuple[int | None, bool, str | None]:
        """One run of the notebook: (exit code or None, timed out, why a cell or check was cut short).

        `self.progress` follows the run. A cell or check past its limit plus ALARM_GRACE_S (its
        code ignored SIGALRM) is ended from here, so that the rerun can skip it.
        """
        self._send({"run": asdict(job), "notebook": notebook})
        frozen, timed_out, overran, phase_end = False, False, None, None
        while True:
            message = self._receive(min(deadline, phase_end or deadline))
            if message is None:  # past a limit: have the zygote end the child, or end the sandbox
                if phase_end is not None and phase_end < deadline:
                    limit = self._phase_limit(self.progress)
                    overran = f"ran past its {limit:g} s limit and ignored the alarm"
                else:
                    timed_out = True
                self._send({"kill": True})
                grace = time.monotonic() + KILL_GRACE_S
                while (message := self._receive(grace)) is not None and "done" not in message:
                    pass
                if message is None:
                    raise SandboxDied("could not be ended in its sandbox")
            if "progress" in message:
                self._follow(message["progress"], cells, frozen)
                limit = self._phase_limit(self.progress)
                phase_end = None if limit is None else time.monotonic() + limit + ALARM_GRACE_S
            elif "public" in message and not frozen:
                self._take(self._keep(message["public"], {(SUBMISSION, n) for n in self.public}, cells=True),
                           execution)
                frozen = True  # from here on, only hidden and isolated outputs are taken
                if self.secrets is not None:
                    self._send({"hidden": self.secrets})
            elif "tainted" in message:
                raise SandboxTainted(str(message["tainted"])[:300])
            elif "done" in message:
                done = message["done"] if isinstance(message["done"], dict) else {}
                names = self._after_notebook if frozen else {(SUBMISSION, name) for name in self.public}
                self._take(self._keep(done.get("files"), names, cells=not frozen), execution)
                code = done.get("code") if isinstance(done.get("code"), int) else None
                ready = self._receive(time.monotonic() + CLEANUP_TIMEOUT_S)
                if ready is None or "ready" not in ready:
                    self.stop()  # a fresh sandbox for the next submission
                return code, timed_out, overran

    def run(self, notebook: str, *, deadline_s: float | None = None, cells: int = 10_000) -> Execution:
        """Grade one notebook (its JSON text); `cells` bounds the cell indices progress may name.

        A zygote that finds itself changed before forking (SandboxTainted) is not the submission's
        doing: a fresh sandbox grades it from the start, on a fresh deadline, once.
        """
        try:
            return self._run(notebook, deadline_s, cells)
        except SandboxTainted:
            self.start()
        try:
            return self._run(notebook, deadline_s, cells)
        except SandboxTainted as exc:
            raise RuntimeError(f"a fresh grading sandbox found itself changed ({exc})") from exc

    def _oom_kills(self) -> int:
        """Processes the kernel has killed in this worker's sandbox for lack of memory (0 without a cgroup)."""
        with contextlib.suppress(OSError, ValueError):
            return self.cgroup.oom_kills() if self.cgroup is not None else 0
        return 0

    def _run(self, notebook: str, deadline_s: float | None, cells: int) -> Execution:
        limits = self.course.limits
        deadline_s = deadline_s or limits.notebook_timeout_s
        execution = Execution()
        deadline = time.monotonic() + deadline_s

        def attempt(skip_cells: list[int], left: float) -> Outcome:
            self.progress, oom = None, self._oom_kills()
            try:
                if self.process is None or self.process.poll() is not None:
                    self.start()
                job = Job(notebook=f"{self.config.job_dir}/{NOTEBOOK}", checks_folder=self.config.checks,
                          out=f"{self.config.job_dir}/.coursekit", hidden=self.secrets is not None,
                          skip_cells=skip_cells, skip_checks=execution.done(), cell_timeout_s=limits.cell_timeout_s,
                          check_timeout_s=limits.check_timeout_s, seed=self.course.seed, input_seed=self.input_seed)
                code, timed_out, overran = self._attempt(job, notebook, deadline, execution, cells)
                reason = overran or (f"ran past the {deadline_s:g} s limit" if timed_out else exit_reason(code))
            except SandboxDied as exc:
                self.stop()
                timed_out, reason = False, str(exc)
            if not timed_out and self._oom_kills() > oom:  # a kill by the kernel: say why, as a category
                reason = OUT_OF_MEMORY
            return Outcome(self.progress, reason, timed_out)

        run_attempts(execution, deadline_s, attempt)
        if self.process is None:  # this submission ended the sandbox: it, not the next one, waits for the new one
            with contextlib.suppress(RuntimeError):  # if it cannot start, the next run says so
                self.start()
        return execution
