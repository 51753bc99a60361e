"""The `coursekit` command: wires each verb to the typed function that does its work."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from coursekit.errors import CourseKitError, ExitCode
from coursekit.safe_text import for_terminal


def _weeks(course, week: str | None):
    return [course.week(week)] if week else list(course.weeks)


def cmd_release(week: str | None, reuse: bool = False) -> ExitCode:
    from coursekit.authoring.release import is_current, release_week
    from coursekit.config import load_course

    course = load_course()
    for w in _weeks(course, week):
        if reuse and is_current(course, w):
            print(f"{w.slug}: release is up to date")
            continue
        paths = release_week(course, w)
        print(f"released {w.slug}: {paths.release.relative_to(course.root)}, {paths.solution.relative_to(course.root)}")
    return ExitCode.OK


def cmd_validate(week: str | None, as_json: bool, reuse: bool = False) -> ExitCode:
    from coursekit import console
    from coursekit.authoring.validate import record_verdict, reused_verdict, validate_week
    from coursekit.config import load_course

    course = load_course()
    reports = []
    for w in _weeks(course, week):
        report = (reuse and reused_verdict(course, w)) or validate_week(course, w)
        record_verdict(course, w, report)
        reports.append(report)
    for report in reports:
        console.validation(report, as_json)
    if len(reports) > 1 and not as_json:
        console.validation_summary(reports)
    return ExitCode.OK if all(r.ok for r in reports) else ExitCode.FAILED


def cmd_check(notebook: Path, function: str | None) -> ExitCode:
    from coursekit.selfcheck import check_notebook
    from coursekit.selfcheck_view import notebook_lines, print_lines

    report = check_notebook(notebook, function)
    print_lines(notebook_lines(report))
    return ExitCode.OK if report.ok else ExitCode.FAILED


def cmd_grade(week: str, submissions: list[Path], out: Path, workers: int, force: bool, roster: Path | None,
              manifest: Path | None, allow_unsandboxed: bool = False) -> ExitCode:
    import os
    import time

    from coursekit import console
    from coursekit.config import load_course
    from coursekit.engine.sandbox import UNSANDBOXED_ENV
    from coursekit.grading.batch import grade_batch

    if allow_unsandboxed:  # read by the sandbox in every worker, which inherits the environment
        os.environ[UNSANDBOXED_ENV] = "1"

    course = load_course()
    w = course.week(week)
    start = time.monotonic()
    rows = grade_batch(course, w, submissions, out, workers=workers, force=force, roster=roster, manifest=manifest)
    console.grading_summary(rows, w.slug, time.monotonic() - start)
    print(f"feedback in {out}/<student>/, gradebook in {out / 'gradebook.csv'}")
    return ExitCode.OK


def cmd_export(target: str, week: str, out: Path | None) -> ExitCode:
    from coursekit.config import load_course
    from coursekit.gradescope.export import export_gradescope

    course = load_course()
    w = course.week(week)
    out = out or course.root / "build" / w.slug / "autograder.zip"
    path = export_gradescope(course, w, out)
    size = path.stat().st_size / 1024
    print(f"wrote {path} ({size:.0f} KB): upload it as the {w.slug} {target} autograder (base image Ubuntu 24.04)")
    return ExitCode.OK


def cmd_report(grade_dir: Path) -> ExitCode:
    from coursekit.config import load_course
    from coursekit.grading.cohort import write_cohort_report

    print(f"wrote {write_cohort_report(grade_dir, load_course().attempts)}")
    return ExitCode.OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coursekit", description=__doc__)
    verbs = parser.add_subparsers(dest="verb", required=True)

    release = verbs.add_parser("release", help="write release/<week>/ and solutions/<week>/ from source/")
    release.add_argument("week", nargs="?", help="slug or number; all weeks if left out")
    release.add_argument("--reuse", action="store_true",
                         help="leave a week whose release is what it would write now (built from the same inputs)")
    release.set_defaults(run=lambda a: cmd_release(a.week, a.reuse))

    validate = verbs.add_parser("validate", help="prove a week's checks: key 100%%, stub 0, mistakes named, no leaks")
    validate.add_argument("week", nargs="?", help="slug or number; all weeks if left out")
    validate.add_argument("--json", action="store_true", help="print one JSON object per week")
    validate.add_argument("--reuse", action="store_true",
                          help="a week unchanged since its recorded valid verdict (kit, source, checks, data, release "
                               "alike) is not run again")
    validate.set_defaults(run=lambda a: cmd_validate(a.week, a.json, a.reuse))

    check = verbs.add_parser("check", help="run a saved release notebook's public checks (before submitting)")
    check.add_argument("notebook", type=Path)
    check.add_argument("--function", help="only this graded function (runs the cells up to its definition)")
    check.set_defaults(run=lambda a: cmd_check(a.notebook, a.function))

    grade = verbs.add_parser("grade", help="grade submissions in sandboxes: results.json, feedback, gradebook")
    grade.add_argument("week", help="slug or number")
    grade.add_argument("submissions", nargs="+", type=Path,
                       help=".ipynb files, folders of them, a folder per student, or an LMS zip")
    grade.add_argument("--out", type=Path, required=True, help="folder for <student>/ feedback and the gradebook")
    grade.add_argument("--workers", type=int, default=0, help="sandboxes run in parallel (default: one per core)")
    grade.add_argument("--force", action="store_true", help="grade again what is already graded")
    grade.add_argument("--roster", type=Path, help="CSV with a student column (and name, email, lms_id)")
    grade.add_argument("--manifest", type=Path, help="CSV of submission times: student or file, submitted_at")
    grade.add_argument("--allow-unsandboxed", action="store_true",
                       help="without bubblewrap, as root, run learner code as root if no unprivileged uid can run it")
    grade.set_defaults(run=lambda a: cmd_grade(a.week, a.submissions, a.out, a.workers, a.force, a.roster,
                                               a.manifest, a.allow_unsandboxed))

    export = verbs.add_parser("export", help="package a week's grading for another platform (gradescope)")
    export.add_argument("target", choices=["gradescope"], help="the platform")
    export.add_argument("week", help="slug or number")
    export.add_argument("--out", type=Path, help="zip to write (default: build/<week>/autograder.zip)")
    export.set_defaults(run=lambda a: cmd_export(a.target, a.week, a.out))

    report = verbs.add_parser("report", help="write cohort.html from a grade output folder's gradebook")
    report.add_argument("grade_dir", type=Path, help="the --out folder of `coursekit grade`")
    report.set_defaults(run=lambda a: cmd_report(a.grade_dir))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except CourseKitError as exc:
        print(f"coursekit: error: {for_terminal(str(exc))}", file=sys.stderr)  # may name an uploaded file
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("coursekit: interrupted; finished results are kept, rerun to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
