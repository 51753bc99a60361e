"""check()'s report as a mentee sees it: HTML in Jupyter, rich text in a terminal, plain text elsewhere."""

import io
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from coursekit import selfcheck_view
from coursekit.checks import Check
from coursekit.compare import compare
from coursekit.selfcheck import Crash, FunctionReport
from coursekit.selfcheck_view import CheckReport, function_html, function_lines, plain, print_lines

HINT = "your attention is not scaled by 1/sqrt(d_k): divide the scores before the softmax"
EXPECTED = {"output": np.linspace(0, 1, 8).reshape(2, 4), "weights": np.full((2, 3), 1 / 3)}


def result(name: str, got: dict | None, error: str | None = None, mistake: dict | None = None):
    check = Check(name, "attention", lambda ns: {}, points=2, description=f"{name} on a (2, 4) input")
    return compare(check, EXPECTED, got, error, {"attention_no_scaling": mistake} if mistake else None)


def report(*results, crashes=None, contract=None) -> FunctionReport:
    return FunctionReport("attention", list(results), {"attention_no_scaling": HINT}, crashes or {}, contract or [],
                          seconds=0.2)


WRONG = {"output": EXPECTED["output"] + 8.00323e-06 * 3, "weights": EXPECTED["weights"]}


def tree(html: str) -> ET.Element:
    return ET.fromstring(html)  # well-formed: every tag closed, every attribute quoted


def rows_of(root: ET.Element, kind: str) -> list[ET.Element]:
    return [e for e in root.iter() if e.get("class") == f"coursekit-{kind}"]


def text(element: ET.Element) -> str:
    return " ".join("".join(element.itertext()).split())


def test_html_has_a_green_or_red_row_per_check_with_points_and_the_hint_under_its_check():
    html = function_html(report(result("values_ok", EXPECTED), result("values_scaled", WRONG, mistake=WRONG)))
    root = tree(html)
    [passing], [failing] = rows_of(root, "pass"), rows_of(root, "fail")
    assert selfcheck_view.GREEN in passing.get("style") and selfcheck_view.RED in failing.get("style")
    assert "values_ok [2/2]" in text(passing) and "values_scaled [0/2]" in text(failing)
    [hint] = rows_of(failing, "hint")  # inside the failing row, not after the table
    assert text(hint) == f"hint: {HINT} [known mistake: attention_no_scaling]"
    assert "attention: 1/2 passed, 2/4 points" in text(root)


def test_passing_details_are_folded_away():
    root = tree(function_html(report(result("values_ok", EXPECTED))))
    [passing] = rows_of(root, "pass")
    assert passing.tag == "details" and passing.get("open") is None
    assert "output: (2, 4) float64, max abs error 0" in text(passing)
    assert not any("max abs error" in line for _, _, line in function_lines(report(result("values_ok", EXPECTED))))


def test_a_message_shared_by_several_checks_is_shown_once():
    error = "`attention` is not defined: run its cell, and keep the name given in the notebook"
    shown = report(result("a", None, error), result("b", None, error), result("c", WRONG, mistake=WRONG),
                   result("d", WRONG, mistake=WRONG))
    html, lines = text(tree(function_html(shown))), plain(function_lines(shown))
    for output in (html, lines):
        assert output.count("is not defined") == 1 and "same as a" in output
        assert output.count(HINT.split(":")[0]) == 1 and "[known mistake: attention_no_scaling, hint above]" in output


def test_no_line_breaks_inside_a_name_or_a_number():
    html = function_html(report(result("values_scaled", WRONG, mistake=WRONG),
                                crashes={"values_scaled": Crash("In [7]", 4, "return q @ k.T", "")}))
    root = tree(html)
    parents = {child: parent for parent in root.iter() for child in parent}

    def kept_whole(element: ET.Element) -> bool:
        while element is not None:
            if element.tag == "span" and "nowrap" in (element.get("style") or ""):
                return True
            element = parents.get(element)
        return False

    pieces = [(e, e.text) for e in root.iter() if e.tag != "code"] + [(parents[e], e.tail) for e in root.iter()
                                                                     if e in parents]
    breakable = [t for e, t in pieces if t and re.search(r"\S[-_./,]\S", t) and not kept_whole(e)]
    assert breakable == []
    assert re.search(r'nowrap">\[\d+, \d+\]:</span>', html)  # an index stays whole


def test_learner_text_is_escaped_in_html():
    shown = report(result("a", None, "RuntimeError: <img src=x onerror=alert(1)>"),
                   crashes={"a": Crash("In [3]", 2, "x = '<b>'", "Traceback <script>")})
    html = function_html(shown, full_traceback=True)
    assert "<img" not in html and "<script>" not in html and "&lt;img" in html and "&lt;script&gt;" in html
    assert '<details open=""' in html or "<details open>" in html


def test_contract_problems_are_shown_first():
    problem = "`attention(q, k, scale, v)` does not match the notebook's `attention(q, k, v)`"
    shown = report(result("a", WRONG), contract=[problem])
    assert function_lines(shown)[0] == (0, "bold red", f"✗ {problem}")
    root = tree(function_html(shown))
    first_row = next(e for e in root.iter() if (e.get("class") or "").startswith("coursekit-") and e is not root)
    assert first_row.get("class") == "coursekit-contract"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_rich_text_on_a_terminal_and_plain_text_in_a_pipe():
    lines = CheckReport(report(result("a", EXPECTED), result("b", WRONG, mistake=WRONG))).lines()
    terminal, pipe = Terminal(), io.StringIO()
    print_lines(lines, terminal)
    print_lines(lines, pipe)
    assert "\x1b[" in terminal.getvalue() and "hint:" in terminal.getvalue()
    assert "\x1b[" not in pipe.getvalue() and pipe.getvalue() == plain(lines) + "\n"


def test_in_jupyter_the_report_is_displayed_as_html_at_once(monkeypatch):
    shown = []
    monkeypatch.setattr(selfcheck_view, "in_jupyter", lambda: True)
    monkeypatch.setattr("IPython.display.display", lambda bundle, raw: shown.append(bundle))
    CheckReport(report(result("a", EXPECTED))).show()
    [bundle] = shown
    assert bundle["text/html"].startswith('<div class="coursekit-check"') and "✓ a [2/2]" in bundle["text/plain"]


@pytest.mark.parametrize("crash", [Crash("In [7]", 4, "return q @ k.T", "Traceback (most recent call last): ...")])
def test_a_crash_names_the_cell_line_and_source(crash):
    error = "RuntimeError: Expected size for first two dimensions of batch2 tensor to be: [6, 8] but got: [6, 4]."
    lines = plain(function_lines(report(result("a", None, error), crashes={"a": crash})))
    assert f"{error}\n    raised at In [7], line 4:\n        return q @ k.T\n" in lines
    assert "full traceback: check('attention', traceback=True)" in lines
    assert "Traceback (most recent call last)" in plain(function_lines(report(result("a", None, error),
                                                                                crashes={"a": crash}), True))
