"""What the `coursekit` command prints: rich tables for validation and grading summaries.

Only the CLI imports this module; library functions return data. Every string that came from a
submission (student ids, problems, the grader's errors) is printed as a `Text` (never parsed as rich
markup) with its control characters shown as escapes, so it can neither crash the table nor drive
the terminal.
"""

from __future__ import annotations

import json

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from coursekit.authoring.validate import Validation
from coursekit.classroom.collect import Collection
from coursekit.grading.batch import BatchRow
from coursekit.safe_text import for_terminal

PASS, FAIL = "[green]valid[/green]", "[red]NOT valid[/red]"
CELL_CHARS = 70  # a problem or error is cut to this in the grading table


def _literal(text: str, limit: int | None = None) -> Text:
    """Text from a submission as a literal, one-line cell: no markup, no terminal control."""
    return Text(for_terminal(text)[:limit])


def validation(report: Validation, as_json: bool) -> None:
    """One week's validation: a table of checks, uncaught mistakes, leaks and problems, the verdict."""
    if as_json:
        print(json.dumps(report.summary()))
        return
    table = Table(title=f"validate {report.week}")
    for column in ("check", "function", "points", "visibility", "reference", "stub"):
        table.add_column(column)
    for c in report.checks:
        table.add_row(c["name"], c["function"], f"{c['points']:g}", c["visibility"],
                      "pass" if c["reference_passed"] else "[red]FAIL[/red]",
                      "[red]PASSES[/red]" if c["stub_passed"] else "fails")
    console = Console()
    console.print(table)
    for m in report.mistakes:
        if not m["named_by"]:
            state = "[red]not caught[/red]" if not m["failed_checks"] else "[red]caught but not named uniquely[/red]"
            console.print(f"mistake {escape(m['name'])} ({escape(m['function'])}): {state}")
    for v in report.variants:
        if v["failed_checks"]:
            console.print(f"variant {escape(v['name'])} ({escape(v['function'])}): [red]loses points[/red] in "
                          f"{escape(', '.join(v['failed_checks']))}")
    console.print(
        f"reference {report.reference_points:g}/{report.max_points:g}, stub {report.stub_points:g}, "
        f"mistakes caught {report.mistakes_caught}/{report.mistakes_total}, named {report.mistakes_named}, "
        f"cross-function loss {report.cross_function_loss:g}, "
        f"variants full marks {report.variants_full_marks}/{report.variants_total}, leaks {len(report.leaks)}")
    for line in report.leaks + report.problems:
        console.print(f"[red]✗[/red] {escape(line)}", highlight=False)
    console.print(PASS if report.ok else FAIL)
    if report.reused:
        console.print("(recorded verdict: nothing it depends on has changed since it was reached)")


def validation_summary(reports: list[Validation]) -> None:
    """One line per week."""
    table = Table(title="course validation")
    for column in ("week", "reference", "stub", "checks", "mistakes caught/named/total", "leaks", "verdict"):
        table.add_column(column)
    for r in reports:
        table.add_row(r.week, f"{r.reference_points:g}/{r.max_points:g}", f"{r.stub_points:g}", str(len(r.checks)),
                      f"{r.mistakes_caught}/{r.mistakes_named}/{r.mistakes_total}", str(len(r.leaks)),
                      (PASS if r.ok else FAIL) + (" (recorded)" if r.reused else ""))
    Console().print(table)


def grading_summary(rows: list[BatchRow], week: str, seconds: float) -> None:
    """One line per student, then totals."""
    table = Table(title=f"grade {week}")
    for column in ("student", "score", "late", "checks passed", "problems", "s"):
        table.add_column(column)
    for batch_row in rows:
        row = batch_row.row
        if row is None:
            table.add_row(_literal(batch_row.student), "[red]not graded[/red]", "", "",
                          _literal(batch_row.error, CELL_CHARS), "")
            continue
        passed = sum(c["passed"] for c in row["checks"])
        problem = row["problems"][0] if row["problems"] else ""
        late = f"{row['days_late']} d -{row['penalty']:.0%}" if row["days_late"] else ""
        table.add_row(_literal(row["student"]), f"{row['score']:.4g}/{row['max_score']:g}", late,
                      f"{passed}/{len(row['checks'])}", _literal(problem, CELL_CHARS),
                      "skipped" if batch_row.skipped else f"{row['seconds']:.2f}")
    console = Console()
    console.print(table)
    scored = [r.row for r in rows if r.row is not None]
    graded = [r for r in rows if r.row is not None and not r.skipped]
    failed = len(rows) - len(scored)
    mean = sum(r["score"] for r in scored) / len(scored) if scored else 0.0
    console.print(f"{len(graded)} graded, {len(scored) - len(graded)} already done, {failed} not graded "
                  f"(rerun to retry); mean score {mean:.3g}; {seconds:.1f} s wall "
                  f"({seconds / max(1, len(graded)):.2f} s per graded notebook)", highlight=False)


def collection_summary(collection: Collection) -> None:
    """`grade --at-deadline`: per repository, the commit graded and the late attempts after it."""
    table = Table(title=f"commits by {collection.cutoff:%Y-%m-%d %H:%M} UTC (due date + grace)")
    for column in ("student", "repository", "graded commit", "when", "late attempts"):
        table.add_column(column)
    for repo in collection.repositories:
        when = "on time" if repo.on_time else f"[red]{repo.lateness.describe()}[/red]"
        late = ", ".join(f"{c.sha[:7]} ({lt.describe()})" for c, lt in repo.late[:3])
        late += f", +{len(repo.late) - 3}" if len(repo.late) > 3 else ""
        table.add_row(_literal(repo.student), _literal(repo.folder.name), repo.graded.label(), when, late)
    console = Console()
    console.print(table)
    for problem in collection.found.problems:
        console.print(Text("✗ ").append(_literal(problem.why)), highlight=False)
