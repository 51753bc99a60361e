"""`coursekit check --summary FILE`: the public checks of a saved notebook as Markdown, for a GitHub job summary.

GitHub renders `$GITHUB_STEP_SUMMARY` as GitHub-flavoured Markdown on the workflow run's page. The
verdict comes first (the failing checks by name), then one table row per check, then what failed,
in fenced code blocks: every string learner code produced (errors, values) goes through
`coursekit.safe_text`, so a notebook cannot inject links, HTML or table cells into the page.
"""

from __future__ import annotations

from pathlib import Path

from coursekit.safe_text import for_markdown, markdown_code_block
from coursekit.selfcheck import NotebookReport
from coursekit.selfcheck_view import HIDDEN_NOTE, rows

PASS_MARK, FAIL_MARK = "✅", "❌"


def _cell(text: str) -> str:
    """A table cell as inline code: a `|` would end the cell even inside a code span, so it is escaped."""
    return for_markdown(text).replace("|", "\\|")


def verdict(report: NotebookReport) -> str:
    """The heading: the notebook, how many public checks passed and the points."""
    results = report.results
    earned, possible = sum(r.score for r in results), sum(r.check.points for r in results)
    mark = PASS_MARK if report.ok and results else FAIL_MARK
    return (f"## {mark} {report.path.name}: {sum(r.passed for r in results)}/{len(results)} public checks passed, "
            f"{earned:g}/{possible:g} points")


def _failure_lines(report: NotebookReport) -> list[str]:
    """Plain lines of what failed: cells that raised, whole-run problems, each failing check with its hints."""
    lines = [f"cell {c.index}" + (f", line {c.line}" if c.line else "") + f": {c.message}" for c in report.cells]
    lines += [f"! {problem}" for problem in report.problems]
    for function in report.functions:
        lines += [f"{function.name}: {problem}" for problem in function.contract]
        for row in rows(function):
            if row.result.passed:
                continue
            lines.append(f"✗ {row.result.check.name}")
            lines += [f"    {problem}" for problem in row.problems]
            lines += [f"    hint: {hint}  [known mistake: {name}]" if hint else f"    [known mistake: {name}]"
                      for hint, name in row.hints]
    return lines


def markdown(report: NotebookReport) -> str:
    """The whole summary: verdict, failing checks by name, a table of every check, the details of failures."""
    out = [verdict(report), ""]
    failing = [r.check.name for r in report.results if not r.passed]
    if failing:
        out += [f"Failing checks: {', '.join(_cell(name) for name in failing)}", ""]
    if not report.results:
        out += ["No public check ran: see below.", ""]
    out += ["| | check | function | points |", "|---|---|---|---|"]
    for result in report.results:
        mark = PASS_MARK if result.passed else FAIL_MARK
        out.append(f"| {mark} | {_cell(result.check.name)} | {_cell(result.check.function)} | "
                   f"{result.score:g}/{result.check.points:g} |")
    details = _failure_lines(report)
    if details:
        out += ["", "<details open><summary>What failed</summary>", "", *markdown_code_block(details), "",
                "</details>"]
    out += ["", HIDDEN_NOTE, ""]
    return "\n".join(out)


def append_summary(report: NotebookReport, path: Path) -> None:
    """Append the summary to `path`: GitHub collects what every step appends to $GITHUB_STEP_SUMMARY."""
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(markdown(report))


def append_error(notebook: Path, message: str, path: Path) -> None:
    """Append why no check ran (a missing notebook, no checks/ beside it): the run is red, and says why."""
    lines = [f"## {FAIL_MARK} {for_markdown(notebook.name)}: not checked", "", *markdown_code_block([message]), ""]
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
