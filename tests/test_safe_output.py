"""Hostile submission text at every sink: terminal, feedback.md/.html, results.json, gradebook.csv, cohort.html."""

from __future__ import annotations

import csv
import json

import pytest
from markdown_it import MarkdownIt

from coursekit import console
from coursekit.checks import Check
from coursekit.compare import CheckResult
from coursekit.grading.batch import BatchRow
from coursekit.grading.cohort import write_cohort_report
from coursekit.grading.feedback import markdown, results_json, to_html, write_feedback
from coursekit.grading.gradebook import Gradebook
from coursekit.grading.result import GradeResult
from coursekit.safe_text import for_csv, for_html, for_markdown, for_terminal, markdown_code_block, strip_controls

MARKUP = "[bold green]PASS[/]"
ANSI = "\x1b[2J\x1b[32m✓ all passed"
SCRIPT = "<script>alert(1)</script>"
LINK, IMAGE = "[click](http://evil)", "![x](http://evil/x.png)"
FENCE = "```\n# out of the fence\n````"
HOSTILE = ["[/]", MARKUP, ANSI, "\u202egnp.exe", SCRIPT, LINK, IMAGE, FENCE, "a\u200bb\x9b\x07\r\nc"]
FORMULAS = ['=HYPERLINK("http://evil")', "+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r-1"]
STUDENT = MARKUP + ANSI + SCRIPT + "```"
CONTROLS = ["\x1b", "\x07", "\x9b", "\r", "\u202e", "\u200b"]


def _check(name: str, visibility: str = "public") -> Check:
    return Check(name, "softmax", probe=lambda ns: {}, points=2, description="rows sum to 1", visibility=visibility)


def _result() -> GradeResult:
    error = "ValueError: " + " ".join(HOSTILE)
    checks = [CheckResult(_check("softmax_rows"), passed=False, error=error),
              CheckResult(_check("softmax_big", "hidden"), passed=False, error=error),
              CheckResult(_check("softmax_ok"), passed=True)]
    return GradeResult(student=STUDENT, week="week01_mini", notebook="mini.ipynb", sha256="0" * 64,
                       submitted_at=None, checks=checks, hints={}, max_score=10, possible=6,
                       problems=[f"cell 3: {h}" for h in HOSTILE], notes=[LINK + ANSI])


def _row(student: str, problems: list[str], points: float = 2.0) -> dict:
    return {"student": student, "week": "week01_mini", "sha256": student.encode().hex()[:64], "notebook": "mini.ipynb",
            "submitted_at": None, "graded_at": "2026-12-01T00:00:00+00:00", "score": -2.5, "max_score": 10,
            "earned": points, "possible": 4, "days_late": 0, "penalty": 0.0, "seconds": 1.0, "problems": problems,
            "checks": [{"check_name": "softmax_rows", "function": "softmax", "visibility": "public",
                        "points": points, "max_points": 2, "passed": 1, "mistakes": []}]}


def _no_controls(text: str) -> None:
    assert not any(c in text for c in CONTROLS), repr(text)


@pytest.mark.parametrize("text", [*HOSTILE, *FORMULAS, STUDENT])
def test_every_sink_function_drops_control_characters(text):
    for safe in (strip_controls(text), for_terminal(text), for_markdown(text), for_html(text), str(for_csv(text)),
                 *markdown_code_block([text])):
        _no_controls(safe)
        assert "\n" not in safe and "\t" not in safe


def test_terminal_shows_controls_as_escapes():
    assert for_terminal(ANSI) == "\\x1b[2J\\x1b[32m✓ all passed"
    assert for_terminal("\u202eexe") == "\\u202eexe" and for_terminal("ada") == "ada"
    assert strip_controls(ANSI) == "✓ all passed"  # the whole escape sequence goes, not only ESC


def test_markdown_code_keeps_text_literal():
    assert for_markdown("a``b") == "```a``b```" and for_markdown("`x") == "`` `x ``"
    assert markdown_code_block(["x", "````"]) == ["`````", "x", "````", "`````"]


@pytest.mark.parametrize("value, cell", [
    ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'), ("+1", "'+1"), ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\t=1+1", "' =1+1"), ("\r-1", "' -1"), ("＝1+1", "'＝1+1"),
    ("ada", "ada"), ("-2", "-2"), ("1.5e3", "1.5e3"), (-2.5, -2.5), (3, 3), (None, None),
])
def test_csv_cells_neutralise_formulas_but_keep_numbers(value, cell):
    assert for_csv(value) == cell


def test_grading_summary_prints_markup_literally_and_no_escape(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")  # no wrapping: each cell on one line
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    rows = [BatchRow(STUDENT, _result().row()), BatchRow("[/]" + ANSI, None, error="grader: " + MARKUP + ANSI)]
    console.grading_summary(rows, "week01_mini", 1.0)
    out = capsys.readouterr().out
    _no_controls(out)
    assert MARKUP in out and "[/]" in out and "\\x1b[2J\\x1b[32m" in out


def test_cli_error_line_shows_controls_as_escapes(tmp_path, capsys):
    from coursekit.cli import main

    assert main(["report", str(tmp_path / ("x" + ANSI))]) != 0
    err = capsys.readouterr().err
    _no_controls(err)
    assert "\\x1b[2J" in err


def _tokens(text: str):
    """Every token of the CommonMark parse, inline children included."""
    for token in MarkdownIt("commonmark").parse(text):
        yield token
        yield from token.children or []


def test_feedback_markdown_renders_no_html_link_or_image():
    text = markdown(_result())
    _no_controls(text.replace("\n", ""))
    rendered = MarkdownIt("commonmark").render(text)
    assert "<script" not in rendered and "<a " not in rendered and "<img" not in rendered
    assert "&lt;script&gt;" in rendered
    tokens = list(_tokens(text))
    assert not [t for t in tokens if t.type in ("html_block", "html_inline", "link_open", "image")]
    fences = [t for t in tokens if t.type == "fence"]
    assert len(fences) == 2  # the problems, then softmax's checks: no fence was closed early
    assert all(f"cell 3: {strip_controls(h)}" in fences[0].content for h in HOSTILE)
    assert SCRIPT in fences[1].content and FENCE.replace("\n", " ") in fences[1].content
    assert [t.content for t in tokens if t.type == "code_inline"][0] == strip_controls(STUDENT)


def test_feedback_html_escapes_everything():
    page = to_html(_result())
    _no_controls(page)
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;script&gt;" in page.split("<title>")[1].split("</title>")[0]  # the student id in the title


def test_results_json_has_no_control_characters():
    results = results_json(_result())
    texts = [results["output"], *(t["output"] for t in results["tests"])]
    for text in texts:
        _no_controls(text)
    assert SCRIPT in results["output"] and SCRIPT in results["tests"][0]["output"]
    assert SCRIPT not in results["tests"][1]["output"]  # hidden: a fixed phrase, never the learner's text


def test_written_feedback_files_are_safe(tmp_path):
    write_feedback(_result(), tmp_path)
    for name in ("results.json", "feedback.md", "feedback.html"):
        _no_controls((tmp_path / name).read_text().replace("\n", ""))
    assert json.loads((tmp_path / "results.json").read_text())["tests"]


def test_gradebook_csv_neutralises_formulas_and_keeps_numbers(tmp_path):
    with Gradebook(tmp_path / "gradebook.db") as book:
        for student in [*FORMULAS, STUDENT]:
            book.upsert(_row(student, [SCRIPT], points=-0.5))
        book.export_csv(tmp_path / "gradebook.csv", "week01_mini", ["softmax_rows"])
    with open(tmp_path / "gradebook.csv", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    assert len(rows) == len(FORMULAS) + 1
    for row in rows:
        cells = dict(zip(header, row, strict=True))
        _no_controls(cells["student"])
        assert cells["student"].startswith("'") or not cells["student"].lstrip().startswith(("=", "+", "-", "@"))
        assert float(cells["score"]) == -2.5 and float(cells["softmax_rows"]) == -0.5  # numbers stay numbers
    assert {r[0] for r in rows} >= {'\'=HYPERLINK("http://evil")', "'+1", "'-2+3", "'@SUM(A1)", "' =1+1", "' -1"}


def test_cohort_page_escapes_student_ids(tmp_path):
    with Gradebook(tmp_path / "gradebook.db") as book:
        book.upsert(_row(STUDENT, [SCRIPT]))
    page = write_cohort_report(tmp_path).read_text()
    _no_controls(page)
    assert "<script" not in page and "&lt;script&gt;" in page and "[bold green]PASS[/]" in page
