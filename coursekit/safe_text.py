"""Text from a submission, made safe for where it is shown: terminal, Markdown, HTML, CSV and JSON.

Student ids, file names, problem lines and error messages come from untrusted uploads. Each sink
passes them through one function here, so that control characters (C0, C1, ANSI escape sequences,
bidi overrides, zero-width and other format characters) never reach a file or a terminal, and the
sink's own syntax (Markdown, HTML, spreadsheet formulas) shows as typed. Rich markup is the
console's to escape: it renders these strings as `rich.text.Text`, never as markup.
"""

from __future__ import annotations

import html
import re
import unicodedata

# CSI (colours, cursor moves, clear screen), OSC (titles, hyperlinks) and two-character escapes
ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?")
# controls (C0, DEL, C1), format characters (bidi, zero-width, BOM, tags), lone surrogates, line separators
CONTROL_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# OWASP's formula triggers, and their full-width forms, which some spreadsheet locales read too
FORMULA_STARTS = ("=", "+", "-", "@", "＝", "＋", "－", "＠")
PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


def _is_control(char: str) -> bool:
    return unicodedata.category(char) in CONTROL_CATEGORIES


def _without(char: str) -> str:
    """A control character's stand-in: a space for a line break or tab (words stay apart), else nothing."""
    if not _is_control(char):
        return char
    return " " if char.isspace() else ""


def strip_controls(text: str) -> str:
    """`text` on one line, without escape sequences or control, format and separator characters."""
    if text.isprintable():  # the common case: nothing to do
        return text
    return "".join(map(_without, ANSI.sub("", text)))


def for_terminal(text: str) -> str:
    """`text` on one line, every control character shown as its escape (`\\x1b`, `\\u202e`)."""
    if text.isprintable():
        return text
    return "".join(c.encode("unicode_escape").decode("ascii") if _is_control(c) else c for c in text)


def _longest_backtick_run(text: str) -> int:
    return max(map(len, re.findall("`+", text)), default=0)


def for_markdown(text: str) -> str:
    """`text` as an inline code span, fenced by more backticks than it holds: no HTML, link or emphasis."""
    text = strip_controls(text)
    fence = "`" * (_longest_backtick_run(text) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""  # CommonMark strips one space each side
    return f"{fence}{pad}{text}{pad}{fence}"


def markdown_code_block(lines: list[str]) -> list[str]:
    """`lines` in a fenced code block whose fence no line can close, controls stripped."""
    lines = [strip_controls(line) for line in lines]
    fence = "`" * max(3, 1 + max(map(_longest_backtick_run, lines), default=0))
    return [fence, *lines, fence]


def for_html(text: str) -> str:
    """`text` for HTML text or a quoted attribute: controls stripped, & < > " ' escaped."""
    return html.escape(strip_controls(text), quote=True)


def for_csv(value: object) -> object:
    """A CSV cell: numbers as they are; text without controls, led by `'` where a spreadsheet would see a formula."""
    if not isinstance(value, str):
        return value
    text = strip_controls(value)
    if text.lstrip().startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text
