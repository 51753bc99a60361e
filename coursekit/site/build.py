"""`coursekit site --out DIR`: the course site, from course_config.py, release/ and data/*/README.md.

    DIR/index.html                    the syllabus (weeks, titles, topics, due dates, points) and the data
    DIR/style.css                     the one stylesheet
    DIR/<week>/index.html             downloads, data, and the released notebook rendered by nbconvert
    DIR/<week>/<notebook>.ipynb       the released notebook, byte for byte
    DIR/<week>/checks.zip             its public checks (release/<week>/checks/)
    DIR/<week>/starter.zip            its GitHub Classroom starter repository (`coursekit export classroom`)
    DIR/data/<name>/index.html        the folder's README rendered: provenance and license
    DIR/data/<name>/<name>.zip        data/<name>/ as every release ships it; its LICENSE beside, if it has one

Only what mentees get anyway goes in: the release (stubs, public checks) and the shipped data, never
source/, solutions/ or autograder/. Zips have fixed timestamps and sorted entries, so the same
release gives the same bytes. The topics of a week are its notebook's `##` sections.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nbformat import NotebookNode

from coursekit import notebook
from coursekit.classroom.starter import export_classroom
from coursekit.config import CHECKS_FOLDER, Course, Week
from coursekit.errors import CourseKitError
from coursekit.files import add_to_zip, atomic_path, write_atomic
from coursekit.site.pages import (
    INDEX,
    STYLE,
    STYLESHEET,
    DataInfo,
    Link,
    WeekInfo,
    data_page,
    index_page,
    week_page,
)

MARKER = ".coursekit-site"  # a folder holding it is a site this command made, and may be replaced
STARTER = "starter.zip"
SECTION = re.compile(r"^##\s+(.+?)\s*#*\s*$", re.M)
NUMBERING = re.compile(r"^(?:part\s+\d+\s*[:.]|\d+\s*[.:)])\s*", re.I)  # "Part 3:", "3."
CLOSING = re.compile(r"^(?:summary|wrap-up|what to (?:take away|remember))$", re.I)  # not topics
LICENSE_ROW = re.compile(r"^\|\s*licen[cs]e\s*\|\s*(.+?)\s*\|\s*$", re.I | re.M)
TITLE = re.compile(r"^#\s+(.+?)\s*$", re.M)

if TYPE_CHECKING:  # nbconvert is imported only when a site is built
    from coursekit.site.render import Renderer


class SiteError(CourseKitError):
    """The site cannot be built: a week is not released, or the output folder is not the site's."""


@dataclass(frozen=True)
class Site:
    """What `build_site` wrote."""

    root: Path
    weeks: list[str]
    files: int
    size: int  # bytes
    seconds: float
    render_seconds: float  # of which nbconvert rendering the notebooks


def topics(nb: NotebookNode) -> list[str]:
    """A notebook's `##` sections, without "Part 3:" numbering or the closing summary: the week's topics."""
    found = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found += [NUMBERING.sub("", h) for h in SECTION.findall(cell.source)]
    return [t for t in found if t and not CLOSING.match(t)]


def size_note(path: Path) -> str:
    size = path.stat().st_size
    return f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{max(1, round(size / 1e3))} KB"


def zip_tree(folder: Path, out: Path, prefix: str) -> Path:
    """`folder`'s files under `prefix/` in a zip at `out`: sorted, fixed times, no caches; atomic."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    with atomic_path(out) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            add_to_zip(archive, f"{prefix}/{path.relative_to(folder).as_posix()}", path.read_bytes())
    return out


def load_renderer() -> Renderer:
    """nbconvert and latex2mathml, imported only by a command that builds a site."""
    try:
        from coursekit.site.render import Renderer
    except ImportError as exc:
        raise SiteError(f"the site needs {exc.name}: pip install 'coursekit[author]'") from exc
    return Renderer()


def data_info(course: Course, name: str, out: Path, render: Renderer) -> DataInfo:
    """Write data/<name>/: its README rendered, LICENSE, the folder zipped; returns what pages show of it."""
    source = course.root / "data" / name
    folder = out / "data" / name
    downloads = [Link(f"{name}.zip: the folder", f"{name}.zip",
                      size_note(zip_tree(source, folder / f"{name}.zip", name)))]
    if (source / "LICENSE").is_file():
        shutil.copyfile(source / "LICENSE", folder / "LICENSE")  # the README links to it
        downloads.append(Link("LICENSE", "LICENSE"))
    readme = source / "README.md"
    text = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    title, license_row = TITLE.search(text), LICENSE_ROW.search(text)
    license_html = render.markdown(license_row[1]).strip() if license_row else ""
    info = DataInfo(name, title[1] if title else "", re.sub(r"^<p>(.*)</p>$", r"\1", license_html, flags=re.S),
                    render.markdown(text) if text else "", downloads)
    write_atomic(folder / INDEX, data_page(course, info))
    return info


def starter_repository(course: Course, week: Week, folder: Path) -> Link:
    """The week's GitHub Classroom starter repository (`coursekit export classroom`) as `folder/starter.zip`."""
    with tempfile.TemporaryDirectory(prefix="coursekit-site-") as tmp:
        starter = export_classroom(course, week, Path(tmp) / week.slug)
        zipped = zip_tree(starter.folder, folder / STARTER, f"{week.slug}-starter")
    return Link(f"{STARTER}: the starter repository (notebook, checks, data, the check workflow)", STARTER,
                size_note(zipped))


def week_info(course: Course, week: Week, out: Path, render: Renderer, data: dict[str, DataInfo],
              starter: bool = True) -> WeekInfo:
    """Write <week>/: the notebook, its checks zipped, the starter repository; returns the page's content."""
    paths = course.paths(week)
    folder = out / week.slug
    folder.mkdir(parents=True)
    nb = notebook.read(paths.release)
    shutil.copyfile(paths.release, folder / paths.notebook_name)
    downloads = [Link(f"{paths.notebook_name}: the notebook", paths.notebook_name,
                      size_note(folder / paths.notebook_name))]
    if paths.release_checks.is_dir():
        zipped = zip_tree(paths.release_checks, folder / "checks.zip", CHECKS_FOLDER)
        downloads.append(Link("checks.zip: the public checks, to unzip beside the notebook", "checks.zip",
                              size_note(zipped)))
    downloads += [Link(f"{name}.zip: data, to unzip into data/ beside the notebook",
                       f"../data/{name}/{name}.zip", data[name].downloads[0].note) for name in week.data]
    return WeekInfo(week, topics(nb), render.notebook(nb), downloads,
                    starter_repository(course, week, folder) if starter else None, [data[name] for name in week.data])


def prepare(out: Path) -> None:
    """Empty `out` if it is a site this command made; refuse any other non-empty folder."""
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).is_file():
            raise SiteError(f"{out}: not empty and not a coursekit site; give --out a new or empty folder")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("made by `coursekit site`; the next build replaces this folder\n")


def build_site(course: Course, out: Path, weeks: list[Week] | None = None, starters: bool = True) -> Site:
    """Write the course site for `weeks` (default: all) to `out`; `starters`: with each week's starter repository
    (a `pip wheel` of the kit per week: about 3 s of CPU each)."""
    start = time.monotonic()
    weeks = list(weeks or course.weeks)
    for week in weeks:  # before anything of an earlier site is replaced
        if not course.paths(week).release.is_file():
            raise SiteError(f"{course.paths(week).release}: not released; run `coursekit release {week.slug}` first")
    prepare(out)
    write_atomic(out / STYLESHEET, STYLE + highlight_style())
    render = load_renderer()
    names = sorted({name for week in weeks for name in week.data})
    data = {name: data_info(course, name, out, render) for name in names}
    infos = [week_info(course, week, out, render, data, starters) for week in weeks]
    for info in infos:
        write_atomic(out / info.page, week_page(course, info))
    write_atomic(out / INDEX, index_page(course, infos, [data[n] for n in names]))
    files = [p for p in out.rglob("*") if p.is_file()]
    return Site(out, [w.slug for w in weeks], len(files), sum(p.stat().st_size for p in files),
                time.monotonic() - start, render.seconds)


def highlight_style() -> str:
    """Pygments' colours for the `.highlight` code blocks nbconvert writes."""
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(style="default").get_style_defs(".highlight") + "\n"
