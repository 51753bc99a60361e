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


def cmd_check(notebook: Path, function: str | None, summary: Path | None = None) -> ExitCode:
    from coursekit.classroom.summary import append_error, append_summary
    from coursekit.selfcheck import check_notebook
    from coursekit.selfcheck_view import notebook_lines, print_lines

    try:
        report = check_notebook(notebook, function)
    except CourseKitError as exc:
        if summary is not None:  # the job summary says why nothing was checked (a renamed notebook, say)
            append_error(notebook, str(exc), summary)
        raise
    print_lines(notebook_lines(report))
    if summary is not None:  # e.g. $GITHUB_STEP_SUMMARY in the starter repository's workflow
        append_summary(report, summary)
    return ExitCode.OK if report.ok else ExitCode.FAILED


def cmd_grade(week: str, submissions: list[Path], out: Path, workers: int, force: bool, roster: Path | None,
              manifest: Path | None, allow_unsandboxed: bool = False, at_deadline: bool = False) -> ExitCode:
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
    found = None
    if at_deadline:  # GitHub Classroom repositories, each at its last commit by the deadline
        from coursekit.classroom.collect import collect

        if manifest is not None:
            raise CourseKitError("--at-deadline takes submission times from the commits: leave out --manifest")
        collection = collect(course, w, submissions, out, roster)
        console.collection_summary(collection)
        found = collection.found
    rows = grade_batch(course, w, submissions, out, workers=workers, force=force, roster=roster, manifest=manifest,
                       found=found)
    console.grading_summary(rows, w.slug, time.monotonic() - start)
    print(f"feedback in {out}/<student>/, gradebook in {out / 'gradebook.csv'}")
    return ExitCode.OK


def cmd_export_classroom(week: str, out: Path | None) -> ExitCode:
    from coursekit.classroom.starter import export_classroom
    from coursekit.config import load_course

    course = load_course()
    w = course.week(week)
    starter = export_classroom(course, w, out or course.root / "build" / w.slug / "starter")
    print(f"wrote {starter.folder} ({len(starter.files)} files): push it to a new repository, mark it a template and "
          f"use it as the starter code of the GitHub Classroom assignment (docs/classroom.md)")
    return ExitCode.OK


def cmd_export(target: str, week: str, out: Path | None) -> ExitCode:
    from coursekit.config import load_course
    from coursekit.gradescope.export import export_gradescope

    if target == "classroom":
        return cmd_export_classroom(week, out)
    course = load_course()
    w = course.week(week)
    out = out or course.root / "build" / w.slug / "autograder.zip"
    path = export_gradescope(course, w, out)
    size = path.stat().st_size / 1024
    print(f"wrote {path} ({size:.0f} KB): upload it as the {w.slug} {target} autograder (base image Ubuntu 24.04)")
    return ExitCode.OK


def cmd_export_grades(week: str, grade_dir: Path | None, fmt: str, out: Path | None, roster: Path | None,
                      assignment_id: str | None) -> ExitCode:
    from coursekit.config import load_course
    from coursekit.grading.lms import export_grades

    if grade_dir is None:
        raise CourseKitError("export grades needs --from DIR, the --out folder of `coursekit grade`")
    course = load_course()
    w = course.week(week)
    out = out or grade_dir / f"{w.slug}-{fmt}.csv"
    done = export_grades(grade_dir, w, fmt, out, policy=course.attempts, roster=roster, assignment_id=assignment_id)
    print(f"wrote {done.path}: {done.students} students, the {course.attempts} attempt of each")
    if done.ungraded:
        shown = ", ".join(for_terminal(s) for s in done.ungraded[:10])  # roster ids: untrusted text
        more = ", ..." if len(done.ungraded) > 10 else ""
        print(f"{len(done.ungraded)} on the roster have no graded attempt: {shown}{more}")
    return ExitCode.OK


def cmd_report(grade_dir: Path) -> ExitCode:
    from coursekit.config import load_course
    from coursekit.grading.cohort import write_cohort_report

    print(f"wrote {write_cohort_report(grade_dir, load_course().attempts)}")
    return ExitCode.OK


def cmd_site(out: Path, weeks: list[str], starters: bool = True) -> ExitCode:
    from coursekit.config import load_course
    from coursekit.site.build import build_site

    course = load_course()
    site = build_site(course, out, [course.week(w) for w in weeks] or None, starters=starters)
    print(f"wrote {site.root / 'index.html'}: {len(site.weeks)} weeks, {site.files} files, "
          f"{site.size / 1e6:.1f} MB in {site.seconds:.1f} s ({site.render_seconds:.1f} s rendering notebooks)")
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
    check.add_argument("--summary", type=Path, help="also append the report as Markdown to this file "
                                                    "(a GitHub job summary: $GITHUB_STEP_SUMMARY)")
    check.set_defaults(run=lambda a: cmd_check(a.notebook, a.function, a.summary))

    grade = verbs.add_parser("grade", help="grade submissions in sandboxes: results.json, feedback, gradebook")
    grade.add_argument("week", help="slug or number")
    grade.add_argument("submissions", nargs="+", type=Path,
                       help=".ipynb files, folders of them, a folder per student, or an LMS zip")
    grade.add_argument("--out", type=Path, required=True, help="folder for <student>/ feedback and the gradebook")
    grade.add_argument("--workers", type=int, default=0, help="sandboxes run in parallel (default: one per core)")
    grade.add_argument("--force", action="store_true", help="grade again what is already graded")
    grade.add_argument("--roster", type=Path, help="CSV with a student column (and name, email, lms_id); with "
                                                   "--at-deadline: github_username and student (or identifier)")
    grade.add_argument("--manifest", type=Path, help="CSV of submission times: student or file, submitted_at")
    grade.add_argument("--allow-unsandboxed", action="store_true",
                       help="without bubblewrap, as root, run learner code as root if no unprivileged uid can run it")
    grade.add_argument("--at-deadline", action="store_true",
                       help="SUBMISSIONS is a folder (or zip) of GitHub Classroom repositories <assignment>-<user>/: "
                            "grade each at its last commit by the due date plus grace; later commits are late")
    grade.set_defaults(run=lambda a: cmd_grade(a.week, a.submissions, a.out, a.workers, a.force, a.roster,
                                               a.manifest, a.allow_unsandboxed, a.at_deadline))

    export = verbs.add_parser("export", help="package a week's grading for another platform (gradescope), "
                                             "or its grades for an LMS (grades)")
    export.add_argument("target", choices=["gradescope", "grades", "classroom"],
                        help="the platform, grades, or classroom (a GitHub Classroom starter repository)")
    export.add_argument("week", help="slug or number")
    export.add_argument("--out", type=Path, help="file to write (default: build/<week>/autograder.zip; "
                                                 "grades: DIR/<week>-<format>.csv; classroom: a new folder, "
                                                 "build/<week>/starter)")
    export.add_argument("--from", dest="grade_dir", type=Path, help="grades: the --out folder of `coursekit grade`")
    export.add_argument("--format", default="csv", choices=["csv", "canvas"],
                        help="grades: csv (student, score, max_score, days_late) or canvas (its gradebook import)")
    export.add_argument("--roster", type=Path, help="grades: CSV with student and name, lms_id, sis_user_id, "
                                                    "sis_login_id, section for Canvas's identity columns")
    export.add_argument("--assignment-id", help="grades: the Canvas assignment's id (default: Canvas makes one)")
    export.set_defaults(run=lambda a: cmd_export_grades(a.week, a.grade_dir, a.format, a.out, a.roster,
                                                        a.assignment_id)
                        if a.target == "grades" else cmd_export(a.target, a.week, a.out))

    report = verbs.add_parser("report", help="write cohort.html from a grade output folder's gradebook")
    report.add_argument("grade_dir", type=Path, help="the --out folder of `coursekit grade`")
    report.set_defaults(run=lambda a: cmd_report(a.grade_dir))

    site = verbs.add_parser("site", help="write a static course site: syllabus, week pages, data, downloads")
    site.add_argument("weeks", nargs="*", help="slugs or numbers (default: every week)")
    site.add_argument("--out", type=Path, required=True, help="folder for the site (replaced if it holds one)")
    site.add_argument("--no-starter", action="store_true",
                      help="leave out each week's starter.zip (`export classroom`: a wheel of the kit per week)")
    site.set_defaults(run=lambda a: cmd_site(a.out, a.weeks, not a.no_starter))
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
