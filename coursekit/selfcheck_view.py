"""What a mentee sees: `check("fn")` in a notebook, and the report of `coursekit check`.

In Jupyter, HTML: one green or red row per check with its points, the hint under its check, the
details of passing checks folded away, a message that several checks share shown once, and no
line broken inside a name or a number. In a terminal, the same as rich text; in a pipe or a log,
plain text. Text that learner code produced is escaped for where it is shown (`safe_text`).
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from typing import TextIO

from coursekit.compare import CheckResult
from coursekit.engine.runner import RUNNER_ENV
from coursekit.explain import FAIL, PASS, headline, hint_line, passing_lines, problem_lines
from coursekit.safe_text import for_html, for_terminal
from coursekit.selfcheck import (
    Crash,
    FunctionReport,
    NotebookReport,
    find_checks_folder,
    ipython_shell,
    run_function,
)

HIDDEN_NOTE = "Hidden checks will test more cases when graded."
GREEN, RED = "#2e7d32", "#c62828"
ROW_STYLE = "margin:3px 0;padding:3px 10px;border-left:4px solid {color};background:{color}14;border-radius:3px"
INDENT_STYLE = "margin-left:1.7em"
NO_BREAK = "white-space:nowrap"  # a name, number or index stays on one line; lines break only between words
# a word, or a short tuple of numbers ("(2, 3, 4, 8)", "[0, 0]:"), which is read as one word
WORD = re.compile(r"[\[(][\d\s,.+-]{0,40}[\])]\S*|\S+")

Line = tuple[int, str, str]  # (indent level, rich style, text)


@dataclass
class Row:
    """One check as shown: what failed (contract first, repeats folded), or the folded details of a pass."""

    result: CheckResult
    problems: list[str]
    details: list[str]
    hints: list[tuple[str, str]]  # (hint, mistake name); the hint is "" where an earlier check showed it
    crash: Crash | None


def rows(report: FunctionReport) -> list[Row]:
    """One row per check; a message an earlier check already showed becomes "same as <that check>"."""
    first_shown: dict[str, str] = {}
    hinted: set[str] = set()
    shown = []
    for result in report.results:
        problems, repeats = [], []
        for line in [] if result.passed else problem_lines(result):
            if line in first_shown:
                repeats.append(first_shown[line])
            else:
                first_shown[line] = result.check.name
                problems.append(line)
        crash = report.crashes.get(result.check.name) if result.error in problems else None
        problems += [f"same as {name}" for name in dict.fromkeys(repeats)]
        hints = [("" if m in hinted else report.hints.get(m, m), m) for m in result.mistakes]
        hinted.update(result.mistakes)
        shown.append(Row(result, problems, passing_lines(result) if result.passed else [], hints, crash))
    return shown


def summary(report: FunctionReport) -> str:
    """"attention: 1/3 passed, 2/5 points (0.1 s). Hidden checks ..."."""
    earned, possible = report.points
    verdict = "all passed" if report.ok else f"{report.passed}/{len(report.results)} passed"
    return f"{report.name}: {verdict}, {earned:g}/{possible:g} points ({report.seconds:.1f} s). {HIDDEN_NOTE}"


# ---------------------------------------------------------------- text: rich in a terminal, plain elsewhere


def _crash_lines(crash: Crash, name: str, full_traceback: bool) -> list[Line]:
    """Where the learner's code raised, then its whole traceback or how to ask for it."""
    lines = [(1, "", f"raised at {crash.cell}, line {crash.line}:"), (2, "cyan", crash.source)]
    if crash.traceback and full_traceback:
        return lines + [(2, "dim", line) for line in crash.traceback.splitlines()]
    if crash.traceback:
        return lines + [(1, "dim", f"full traceback: check('{name}', traceback=True)")]
    return lines


def _hint_text(hint: str, name: str) -> str:
    """A hint line, or a pointer to the check above that showed it ("" hint)."""
    return hint_line(hint, name) if hint else f"[known mistake: {name}, hint above]"


def function_lines(report: FunctionReport, full_traceback: bool = False) -> list[Line]:
    """The checks of one function as lines: contract problems first, then one headline per check."""
    if report.problem:
        return [(0, "red", f"check('{report.name}'): {report.problem}")]
    lines = [(0, "bold red", f"{FAIL} {problem}") for problem in report.contract]
    for row in rows(report):
        lines.append((0, "green" if row.result.passed else "red", headline(row.result)))
        lines += [(1, "", problem) for problem in row.problems]
        lines += _crash_lines(row.crash, report.name, full_traceback) if row.crash else []
        lines += [(1, "yellow", _hint_text(hint, name)) for hint, name in row.hints]
    return lines


def notebook_lines(report: NotebookReport) -> list[Line]:
    """`coursekit check`: every cell that raised, whole-run problems, each function's checks, the total."""
    lines: list[Line] = []
    for cell in report.cells:
        lines.append((0, "red", f"{FAIL} cell {cell.index}" + (f", line {cell.line}" if cell.line else "")
                      + f": {cell.message}"))
        lines += [(1, "cyan", cell.source)] if cell.source else []
    lines += [(0, "red", f"! {problem}") for problem in report.problems]
    for function in report.functions:
        lines += function_lines(function)
    results = report.results
    earned, possible = sum(r.score for r in results), sum(r.check.points for r in results)
    lines.append((0, "bold", f"{report.path.name}: {sum(r.passed for r in results)}/{len(results)} public checks "
                             f"passed, {earned:g}/{possible:g} points. {HIDDEN_NOTE}"))
    return lines


def plain(lines: list[Line]) -> str:
    return "\n".join("    " * indent + text for indent, _, text in lines)


def print_lines(lines: list[Line], out: TextIO | None = None) -> None:
    """Rich text on a terminal (wrapped lines keep their indent), plain text in a pipe or a log."""
    out = out or sys.stdout
    if not out.isatty():
        print(plain(lines), file=out, flush=True)
        return
    from rich.console import Console
    from rich.padding import Padding
    from rich.text import Text

    console = Console(file=out, highlight=False)
    for indent, style, text in lines:
        console.print(Padding(Text(for_terminal(text), style=style), (0, 0, 0, 4 * indent)))


# ---------------------------------------------------------------- HTML, for Jupyter


def _words(text: str) -> str:
    """Escaped text whose words never break inside (JupyterLab would split `8.00323e-06` at its hyphen)."""
    return " ".join(f'<span style="{NO_BREAK}">{for_html(word)}</span>' for word in WORD.findall(text))


def _div(text: str, style: str = INDENT_STYLE) -> str:
    """One detail line, indented under its check."""
    return f'<div style="{style}">{_words(text)}</div>'


def _headline_html(result: CheckResult) -> str:
    """The coloured mark, the check's name, its points and what it checks."""
    check = result.check
    color, mark = (GREEN, PASS) if result.passed else (RED, FAIL)
    mark = f'<span style="color:{color};font-weight:700">{mark}</span>'
    points = f'<span style="{NO_BREAK};opacity:.75">[{result.score:g}/{check.points:g}]</span>'
    return f"{mark} <b>{_words(check.name)}</b> {points} {_words(check.description)}"


def _crash_html(crash: Crash, full_traceback: bool) -> str:
    """Where the learner's code raised, with the whole traceback folded (open with traceback=True)."""
    where = f"raised at <b>{_words(f'{crash.cell}, line {crash.line}')}</b>: <code>{for_html(crash.source)}</code>"
    full = ""
    if crash.traceback:
        full = (f'<details{" open" if full_traceback else ""}><summary>full traceback</summary>'
                f'<pre style="white-space:pre;overflow-x:auto">{_pre(crash.traceback)}</pre></details>')
    return f'<div style="{INDENT_STYLE}">{where}{full}</div>'


def _pre(text: str) -> str:
    """Several lines of learner text for a <pre>: each line escaped, the line breaks kept."""
    return "\n".join(for_html(line) for line in text.splitlines())


def _hint_html(hint: str, name: str) -> str:
    """A catalogued mistake's hint under the failing check, or a pointer to the check that showed it."""
    if not hint:
        return f'<div style="{INDENT_STYLE};opacity:.7">{_words(_hint_text(hint, name))}</div>'
    return (f'<div class="coursekit-hint" style="{INDENT_STYLE}"><b>hint:</b> {_words(hint)} '
            f'<span style="opacity:.7">{_words(f"[known mistake: {name}]")}</span></div>')


def _row_html(row: Row, full_traceback: bool) -> str:
    """A red block with what is wrong, or a green line whose details open on a click."""
    result = row.result
    if result.passed:  # folded: the learner opens it when curious
        details = "".join(_div(line) for line in row.details)
        return (f'<details class="coursekit-pass" style="{ROW_STYLE.format(color=GREEN)}">'
                f"<summary>{_headline_html(result)}</summary>{details}</details>")
    body = "".join(_div(line) for line in row.problems)
    body += _crash_html(row.crash, full_traceback) if row.crash else ""
    body += "".join(_hint_html(hint, name) for hint, name in row.hints)
    return (f'<div class="coursekit-fail" style="{ROW_STYLE.format(color=RED)}">'
            f"<div>{_headline_html(result)}</div>{body}</div>")


def function_html(report: FunctionReport, full_traceback: bool = False) -> str:
    """check()'s report as one HTML block (inline styles: JupyterLab keeps them in saved outputs too)."""
    if report.problem:
        return f'<div class="coursekit-check">{_div(f"check({report.name!r}): {report.problem}", "")}</div>'
    contract = "".join(f'<div class="coursekit-contract" style="{ROW_STYLE.format(color=RED)}"><b>fix first:</b> '
                       f"{_words(problem)}</div>" for problem in report.contract)
    body = "".join(_row_html(row, full_traceback) for row in rows(report))
    return (f'<div class="coursekit-check" style="line-height:1.45;word-break:normal;overflow-wrap:normal">'
            f'<div style="font-weight:600">{_words(summary(report).removesuffix(HIDDEN_NOTE))}</div>'
            f'{contract}{body}<div style="opacity:.7">{HIDDEN_NOTE}</div></div>')


# ---------------------------------------------------------------- check("fn")


def in_jupyter() -> bool:
    """Whether a Jupyter kernel runs this code (it shows HTML); the IPython terminal does not."""
    return getattr(ipython_shell(), "kernel", None) is not None


def _cell_count() -> int | None:
    """The execution count of the running cell, where IPython runs this code."""
    shell = ipython_shell()
    return None if shell is None else shell.execution_count


class CheckReport:
    """What check() returns: HTML in Jupyter, rich or plain text elsewhere; `str()` is the plain text."""

    def __init__(self, report: FunctionReport, full_traceback: bool = False) -> None:
        self.report = report
        self.full_traceback = full_traceback
        self._shown_in: int | None = None  # the cell that showed it: its echo as the cell's value is skipped

    def _repr_html_(self) -> str:
        return function_html(self.report, self.full_traceback)

    def __str__(self) -> str:
        return plain(self.lines())

    def __repr__(self) -> str:
        return f"<check report for {self.report.name!r}: {self.report.passed}/{len(self.report.results)} passed>"

    def lines(self) -> list[Line]:
        """The report as text lines, with the summary last."""
        lines = function_lines(self.report, self.full_traceback)
        return lines if self.report.problem else lines + [(0, "bold", summary(self.report))]

    def show(self) -> None:
        """Show the report now: several checks in one cell each show, and none waits for the cell's end."""
        self._shown_in = _cell_count()
        if in_jupyter():
            from IPython.display import display

            display({"text/html": self._repr_html_(), "text/plain": str(self)}, raw=True)
        else:
            print_lines(self.lines())

    def _ipython_display_(self) -> None:
        """IPython's display of this object: skipped for the echo of the cell that already showed it."""
        if self._shown_in is None or self._shown_in != _cell_count():
            self.show()


def _note_slow(check: str, left: float) -> None:
    """Said while a check runs long, so that a hang is not silent."""
    print(f"… {check} is still running; it is stopped in {left:.0f} s "
          "(an infinite loop? interrupt the kernel to stop it now)", flush=True)


def check(name: str, namespace: dict | None = None, traceback: bool = False) -> CheckReport | None:
    """Run the public checks of `name` (a graded function or a check), show the report and return it.

    `namespace` defaults to the caller's globals: the notebook's variables. `traceback=True` shows
    the whole traceback where your code raised. During grading and validation it does nothing.
    """
    if os.environ.get(RUNNER_ENV):  # grading and validation compare outputs themselves
        return None
    ns = namespace if namespace is not None else sys._getframe(1).f_globals
    try:
        report = run_function(name, ns, find_checks_folder(), _note_slow)
    except (FileNotFoundError, KeyError) as exc:
        report = FunctionReport(name, problem=exc.args[0])
    shown = CheckReport(report, traceback)
    shown.show()
    return shown
