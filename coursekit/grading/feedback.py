"""What a graded student receives: results.json (Gradescope's schema), feedback.md and feedback.html.

Every line about a check comes from `coursekit.explain.format_result`; hidden checks go through
it with `reveal=False`, so they state pass or fail, the kind of problem and the hint of a
matched mistake: never an input, an expected value, or text the learner's code produced.
Scores are the week's points: raw check points times `GradeResult.scale`, less the late penalty.
Lines that can carry learner text (problems, notes, public checks' errors) lose their control
characters here; feedback.md puts them only inside code, feedback.html escapes every string.
"""

from __future__ import annotations

import json
from pathlib import Path

from coursekit.explain import format_result
from coursekit.files import write_atomic
from coursekit.grading.result import GradeResult
from coursekit.safe_text import for_html, for_markdown, markdown_code_block, strip_controls

HIDDEN_NOTE = ("Hidden checks test more cases than the public ones; they show only whether they passed "
               "and, where your output matches a known mistake, a hint.")
CELL_NOTE = "Cell numbers count every cell of the notebook from the top, starting at 0."


def check_lines(result: GradeResult) -> list[list[str]]:
    """format_result's lines for every check, in the order of the week's checks, without control characters."""
    return [[strip_controls(line) for line in format_result(r, result.hints, reveal=r.check.visibility == "public")]
            for r in result.checks]


def summary(result: GradeResult) -> list[str]:
    """The headline and the one-line problems, as plain text without control characters."""
    lines = [f"{result.week}: {result.score:.4g} / {result.max_score:g} points "
             f"({result.earned:g} of {result.possible:g} check points; {result.lateness.describe()})"]
    lines += [f"- {strip_controls(p)}" for p in result.problems]
    lines += [f"- note: {strip_controls(n)}" for n in result.notes]
    return lines


def results_json(result: GradeResult) -> dict:
    """Gradescope's results.json; hidden checks are scored but shown only once grades are published."""
    tests = []
    for check_result, lines in zip(result.checks, check_lines(result), strict=True):
        check = check_result.check
        tests.append({
            "name": f"{check.function}: {check.name}",
            "score": round(check_result.score * result.scale, 4),
            "max_score": round(check.points * result.scale, 4),
            "status": "passed" if check_result.passed else "failed",
            "output": "\n".join(lines),
            "visibility": "visible" if check.visibility == "public" else "after_published",
            "tags": [check.function],
        })
    return {
        "score": round(result.score, 4),
        "execution_time": round(result.seconds, 2),
        "output": "\n".join(summary(result)),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def markdown(result: GradeResult) -> str:
    """feedback.md; learner text appears only inside code, so it renders no HTML, link or image."""
    lines = [f"# {result.week}: {for_markdown(result.student)}", "", f"**{summary(result)[0]}**", ""]
    if result.problems or result.notes:
        lines += ["## Problems", "", *markdown_code_block(summary(result)[1:]), ""]
    functions: dict[str, list[str]] = {}
    for check_result, block in zip(result.checks, check_lines(result), strict=True):
        functions.setdefault(check_result.check.function, []).extend(block)
    for function, function_lines in functions.items():
        lines += [f"## `{function}`", "", *markdown_code_block(function_lines), ""]
    lines += [HIDDEN_NOTE, CELL_NOTE, ""]
    return "\n".join(lines)


def to_html(result: GradeResult) -> str:
    """The same content as feedback.md, every string escaped."""
    e = for_html
    parts = [f"<!doctype html><meta charset='utf-8'><title>{e(result.week)}: {e(result.student)}</title>",
             "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}pre{background:#f6f6f6;padding:1em;"
             "overflow-x:auto}.pass{color:#176f2c}.fail{color:#b00020}</style>",
             f"<h1>{e(result.week)}: {e(result.student)}</h1>", f"<p><b>{e(summary(result)[0])}</b></p>"]
    if result.problems or result.notes:
        parts.append("<h2>Problems</h2><ul>" + "".join(f"<li>{e(line[2:])}</li>" for line in summary(result)[1:])
                     + "</ul>")
    functions: dict[str, list[str]] = {}
    for check_result, block in zip(result.checks, check_lines(result), strict=True):
        css = "pass" if check_result.passed else "fail"
        text = f"<span class='{css}'>{e(block[0])}</span>" + "".join("\n" + e(line) for line in block[1:])
        functions.setdefault(check_result.check.function, []).append(text)
    for function, blocks in functions.items():
        parts.append(f"<h2><code>{e(function)}</code></h2><pre>" + "\n".join(blocks) + "</pre>")
    parts.append(f"<p>{e(HIDDEN_NOTE)} {e(CELL_NOTE)}</p>")
    return "\n".join(parts) + "\n"


def write_feedback(result: GradeResult, folder: Path) -> None:
    """results.json, feedback.md and feedback.html in `folder`, each written atomically."""
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / "results.json", json.dumps(results_json(result), indent=1) + "\n")
    write_atomic(folder / "feedback.md", markdown(result))
    write_atomic(folder / "feedback.html", to_html(result))
