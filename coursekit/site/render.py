"""Notebooks and Markdown as HTML for the course site: nbconvert's renderers, with the math as MathML.

nbconvert leaves `$...$` for MathJax to typeset in the browser, which means a script from a CDN or a
copy of MathJax in the site. Instead each formula becomes MathML here (latex2mathml), which browsers
render natively (Chromium since 109, Firefox, Safari): the pages work offline and need no script.
A formula latex2mathml cannot read stays as its TeX in a `<code class="tex">`, so nothing is lost.
"""

from __future__ import annotations

import time
from html import escape

from jinja2 import pass_context
from latex2mathml.converter import convert
from nbconvert import HTMLExporter
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath


def mathml(tex: str, display: bool = False) -> str:
    """`tex` as a MathML element, or as escaped TeX in a code span when it cannot be converted."""
    try:
        return convert(tex.strip(), display="block" if display else "inline")
    except Exception:  # latex2mathml raises bare exceptions of several kinds on TeX it does not know
        return f'<code class="tex">{escape(tex)}</code>'


class MathMLRenderer(IPythonRenderer):
    """nbconvert's Markdown renderer (anchors, code highlighting, attachments) writing math as MathML."""

    def inline_math(self, body: str) -> str:
        return mathml(body)

    def block_math(self, body: str) -> str:
        return mathml(body, display=True)

    def latex_environment(self, name: str, body: str) -> str:
        return mathml(f"\\begin{{{name}}}{body}\\end{{{name}}}", display=True)


class MathMLExporter(HTMLExporter):
    """The HTML exporter with markdown cells rendered by `MathMLRenderer`."""

    @pass_context  # the template calls it with the cell in its context, as nbconvert's own
    def markdown2html(self, context, source: str) -> str:
        cell = context.get("cell", {})
        renderer = MathMLRenderer(escape=False, attachments=cell.get("attachments", {}),
                                  embed_images=self.embed_images, anchor_link_text=self.anchor_link_text,
                                  exclude_anchor_links=self.exclude_anchor_links, **self.lexer_options)
        return MarkdownWithMath(renderer=renderer).render(source)


class Renderer:
    """Loaded once per site: the `basic` template (cells only, no CSS or scripts of its own), no prompts."""

    def __init__(self) -> None:
        self.exporter = MathMLExporter(template_name="basic", exclude_input_prompt=True,
                                       exclude_output_prompt=True)
        self.seconds = 0.0  # spent rendering notebooks

    def notebook(self, nb) -> str:
        start = time.monotonic()
        body, _ = self.exporter.from_notebook_node(nb)
        self.seconds += time.monotonic() - start
        return body

    def markdown(self, text: str) -> str:
        return MarkdownWithMath(renderer=MathMLRenderer(escape=False)).render(text)
