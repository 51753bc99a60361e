"""`coursekit site`: the syllabus, week and data pages, nothing secret in them, and no broken link in a browser.

The browser test drives Debian's `chromium` through Playwright's `executable_path`, as tests/test_browser.py
does, over a local `http.server`. Its site holds weeks 6 and 7 only, a week with one data folder and a week
with three (two with a LICENSE): built in about 25 s with their starter repositories and crawled in about
12 s on a loaded 2-core machine, where the whole course takes about 2 minutes to build (40 s of it nbconvert).
"""

from __future__ import annotations

import functools
import hashlib
import html
import http.server
import io
import json
import re
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest

from coursekit import notebook
from coursekit.checks import load_checks
from coursekit.cli import main
from coursekit.config import load_course
from coursekit.site.build import MARKER, SiteError, build_site, topics

ROOT = Path(__file__).resolve().parents[1]
BROWSER_WEEKS = ("week06_transformer", "week07_transfer")
MIN_SECRET = 16  # as validate's leak check: shorter lines (`return x`) are too common to call secrets


def digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def mini_site(released_minicourse, tmp_path_factory) -> Path:
    """The mini course's whole site, starter repository included, built once for the tests that only read it."""
    out = tmp_path_factory.mktemp("mini_site") / "site"
    build_site(load_course(released_minicourse), out)
    return out


def test_minicourse_site_pages(mini_site):
    index = (mini_site / "index.html").read_text()
    assert '<a href="week01_mini/index.html">Softmax and masks</a>' in index
    assert "Tue 01 Dec 2099, 23:59 UTC" in index and '<td class="number">10</td>' in index
    week = (mini_site / "week01_mini" / "index.html").read_text()
    assert 'href="mini.ipynb"' in week and 'href="checks.zip"' in week and 'href="starter.zip"' in week
    assert "raise NotImplementedError" in html.unescape(re.sub(r"<[^>]+>", "", week))  # the stubs, rendered
    assert "has no README.md" in (mini_site / "data" / "mini" / "index.html").read_text()
    with zipfile.ZipFile(mini_site / "week01_mini" / "checks.zip") as archive:
        assert "checks/public.py" in archive.namelist() and not any("hidden" in n for n in archive.namelist())
    with zipfile.ZipFile(mini_site / "week01_mini" / "starter.zip") as archive:
        assert {"week01_mini-starter/mini.ipynb", "week01_mini-starter/.github/workflows/check.yml"} <= set(
            archive.namelist())


def test_a_rebuild_gives_the_same_bytes(released_minicourse, tmp_path):
    course = load_course(released_minicourse)
    site = build_site(course, tmp_path / "site", starters=False)
    first = digest(tmp_path / "site")
    assert site.weeks == ["week01_mini"] and site.files == len(first)
    build_site(course, tmp_path / "site", starters=False)  # replaces its own earlier site
    assert digest(tmp_path / "site") == first


def test_refuses_to_replace_a_folder_it_did_not_make(released_minicourse, tmp_path, in_dir, capsys):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("years of work")
    with pytest.raises(SiteError, match="not a coursekit site"):
        build_site(load_course(released_minicourse), tmp_path / "mine", starters=False)
    assert (tmp_path / "mine" / "thesis.tex").is_file() and not (tmp_path / "mine" / MARKER).exists()
    in_dir(released_minicourse)
    assert main(["site", "--out", str(tmp_path / "mine"), "--no-starter"]) == 2
    assert "not a coursekit site" in capsys.readouterr().err


def test_an_unreleased_week_is_one_error_and_the_last_site_stays(minicourse, tmp_path):
    build_site(load_course(minicourse), tmp_path / "site", starters=False)
    (minicourse / "release" / "week01_mini" / "mini.ipynb").unlink()
    with pytest.raises(SiteError, match="not released; run `coursekit release week01_mini` first"):
        build_site(load_course(minicourse), tmp_path / "site", starters=False)
    assert (tmp_path / "site" / "week01_mini" / "index.html").is_file()


def test_topics_are_the_sections_without_numbering_or_the_summary():
    nb = notebook.read(ROOT / "release" / "week06_transformer" / "transformer.ipynb")
    found = topics(nb)
    assert found[:3] == ["Scaled dot-product attention", "Masks", "Positions"]
    assert "Wrap-up" not in found and not any(t.startswith("Part") for t in found)


# ---------------------------------------------------------------- nothing secret reaches the site


def secrets(root: Path, slug: str) -> tuple[set[str], set[str]]:
    """(solution, hidden-check, mistake and variant lines mentees never see; hidden check names) of a week."""
    course = load_course(root)
    paths = course.paths(course.week(slug))
    source = notebook.read(paths.source)
    lines = {line.strip() for r in notebook.solution_regions(source, paths.source) for line in r.text.splitlines()}
    for name in ("hidden.py", "mistakes.py", "variants.py"):
        if (paths.autograder / name).is_file():
            lines |= {line.strip() for line in (paths.autograder / name).read_text().splitlines()}
    given = {line.strip() for cell in notebook.read(paths.release).cells for line in cell.source.splitlines()}
    given |= {line.strip() for line in (paths.autograder / "public.py").read_text().splitlines()}
    lines = {s for s in lines - given if len(s) >= MIN_SECRET and not s.startswith("#")}
    hidden = {c.name for c in load_checks(paths.autograder).checks if c.visibility == "hidden"}
    return lines, hidden


def texts(name: str, data: bytes) -> Iterator[tuple[str, str]]:
    """(where, text) of a site file as a reader sees it: HTML without tags, notebook cells, zip members."""
    if name.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.namelist():
                yield from texts(f"{name}:{member}", archive.read(member))
    elif name.endswith(".html"):
        yield name, html.unescape(re.sub(r"<[^>]+>", "", data.decode()))
    elif name.endswith(".ipynb"):
        yield name, "\n".join(c["source"] if isinstance(c["source"], str) else "".join(c["source"])
                              for c in json.loads(data)["cells"])
    elif not name.endswith((".npz", ".gz", ".safetensors", ".whl")):  # the kit's wheel: no course content
        yield name, data.decode(errors="replace")


def week_files(site: Path, slug: str) -> list[Path]:
    """What the site publishes for one week: its folder, its data, the index and the stylesheet.

    As validate's leak check reads release/<week>/ alone: a later week may show an earlier week's
    solution on purpose (week 7 gives the pre-norm block that week 6 asks for), as its release does."""
    week = load_course(ROOT).week(slug)
    folders = [site / slug, *(site / "data" / name for name in week.data)]
    return [site / "index.html", site / "style.css", *sorted(p for f in folders for p in f.rglob("*") if p.is_file())]


def every_file(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*") if p.is_file())


def leaks(site: Path, files: list[Path], lines: set[str], hidden: set[str]) -> list[str]:
    found = []
    for path in files:
        for where, text in texts(path.relative_to(site).as_posix(), path.read_bytes()):
            seen = {line.strip() for line in text.splitlines()}
            found += [f"{where}: solution line `{s[:60]}`" for s in sorted(lines & seen)]
            found += [f"{where}: hidden check {n}" for n in sorted(hidden) if re.search(rf"\b{re.escape(n)}\b", text)]
    return found


def test_no_solution_or_hidden_check_in_the_minicourse_site(released_minicourse, mini_site):
    lines, hidden = secrets(released_minicourse, "week01_mini")
    assert lines and hidden  # the scan has something to find
    assert leaks(mini_site, every_file(mini_site), lines, hidden) == []


def test_the_scan_finds_a_planted_solution_line(released_minicourse, tmp_path):
    build_site(load_course(released_minicourse), tmp_path / "site", starters=False)
    lines, hidden = secrets(released_minicourse, "week01_mini")
    line = next(s for s in sorted(lines) if not any(n in s for n in hidden))
    page = tmp_path / "site" / "week01_mini" / "index.html"
    page.write_text(page.read_text() + f"\n<pre><span>{html.escape(line)}</span></pre>\n<p>{min(hidden)}</p>\n")
    assert len(leaks(tmp_path / "site", every_file(tmp_path / "site"), lines, hidden)) == 2


@pytest.fixture(scope="module")
def course_site(tmp_path_factory) -> Path:
    """The real course's site for weeks 6 and 7, built once for the tests below."""
    out = tmp_path_factory.mktemp("site") / "site"
    course = load_course(ROOT)
    build_site(course, out, [course.week(w) for w in BROWSER_WEEKS])
    return out


@pytest.mark.parametrize("slug", BROWSER_WEEKS)
def test_no_solution_or_hidden_check_in_the_course_site(course_site, slug):
    lines, hidden = secrets(ROOT, slug)
    assert leaks(course_site, week_files(course_site, slug), lines, hidden) == []


def test_the_course_site_has_math_and_no_external_assets(course_site):
    week = (course_site / "week06_transformer" / "index.html").read_text()
    assert week.count("<math") > 50 and 'class="tex"' not in week  # every formula became MathML
    for page in course_site.rglob("*.html"):
        assets = re.findall(r'<(?:link|script|img|iframe)\b[^>]*(?:src|href)="([^"]+)"', page.read_text())
        assert not [a for a in assets if urlparse(a).scheme], f"{page}: external assets {assets}"


# ---------------------------------------------------------------- every internal link, in Chromium


@pytest.fixture
def served() -> Iterator:
    """serve(folder) -> the URL of a local http.server over `folder`; servers stop after the test."""
    servers = []

    def serve(folder: Path) -> str:
        handler = functools.partial(QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # no request lines in the test output
        pass


def broken_links(base: str, executable: str) -> tuple[list[str], int]:
    """Crawl every page reachable from `base`index.html in headless Chromium; (broken links, links followed).

    A page is loaded in the browser (its stylesheet too); a download is fetched; a `#fragment` must name an
    element of its page. Any request to another host fails the crawl: the site must work offline."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (the dev extra has it)")
    broken, seen, pages = [], set(), [urljoin(base, "index.html")]
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.on("response", lambda r: r.status >= 400 and broken.append(f"{r.url}: HTTP {r.status}"))
            page.on("requestfailed", lambda r: broken.append(f"{r.url}: {r.failure}"))
            page.route(re.compile(r"^(?!http://127\.0\.0\.1:)"), lambda route: route.abort())  # offline
            while pages:
                url = pages.pop()
                if url in seen:
                    continue
                seen.add(url)
                response = page.goto(url)
                if response is None or not response.ok:
                    continue  # the response handler recorded it
                links = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
                for href in links:
                    target, fragment = urldefrag(urljoin(url, href))
                    if not target.startswith(base):
                        continue  # an external link: a reference, not part of the site
                    if target == url and fragment:
                        if not page.evaluate("id => document.getElementById(id) !== null", fragment):
                            broken.append(f"{url}: no element #{fragment}")
                    elif target.endswith(".html") or target.endswith("/"):
                        pages.append(target)
                    elif target not in seen:
                        seen.add(target)
                        fetched = page.request.get(target)
                        if not fetched.ok or not fetched.body():
                            broken.append(f"{target} (linked from {url}): HTTP {fetched.status}")
        finally:
            browser.close()
    return broken, len(seen)


@pytest.mark.slow
def test_every_internal_link_of_the_course_site_works(course_site, served, chromium):
    broken, followed = broken_links(served(course_site), chromium)
    assert broken == []
    assert followed >= 12  # index, 2 weeks, 4 data pages, and their downloads


@pytest.mark.slow
def test_the_link_check_reports_a_missing_download(released_minicourse, tmp_path, served, chromium):
    build_site(load_course(released_minicourse), tmp_path / "site", starters=False)
    (tmp_path / "site" / "week01_mini" / "checks.zip").unlink()
    broken, _ = broken_links(served(tmp_path / "site"), chromium)
    assert len(broken) == 1 and "week01_mini/checks.zip" in broken[0] and "404" in broken[0]
