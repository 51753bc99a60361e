"""Nothing a submission writes outside its emptied folders reaches the next one: the sandbox root is read-only."""

import json

import pytest
from nbformat.v4 import new_code_cell

from coursekit import notebook
from coursekit.config import load_course
from coursekit.engine.sandbox import bubblewrap_works
from coursekit.grading.week import WeekGrader

pytestmark = pytest.mark.skipif(not bubblewrap_works(), reason="needs a working bubblewrap (apt install bubblewrap)")

PLACES = ["/autograder/results/results.json", "/planted", "/var/planted", "/home/planted", "/opt/planted"]
WRITE = f"""
import os
for path in {PLACES!r}:
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "w").write("planted")
    except OSError:
        pass
"""
FIND = f"""
import os
found = [path for path in {PLACES!r} if os.path.exists(path)]
raise RuntimeError("found " + repr(found))
"""


def test_files_planted_in_the_sandbox_root_do_not_reach_the_next_submission(released_minicourse):
    course = load_course(released_minicourse)
    week = course.weeks[0]
    nb = notebook.read(course.paths(week).release)

    def with_cell(source: str) -> str:
        copy = json.loads(json.dumps(nb))
        copy["cells"].append(dict(new_code_cell(source)))
        return json.dumps(copy)

    with WeekGrader.load(course, week).server() as server:
        server.run(with_cell(WRITE))
        run = server.run(with_cell(FIND))
    errors = [c.get("error", "") for c in run.cells if c.get("status") == "error"]
    assert any("found []" in e for e in errors), errors
