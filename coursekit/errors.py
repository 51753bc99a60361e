"""One error family for the kit: caught once by the CLI and printed as one line."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    FAILED = 1  # the command ran and its verdict is negative (validation failed, checks failed)
    USAGE = 2  # bad input: fix the named file or argument and rerun


class CourseKitError(Exception):
    """Bad input; the message names the file and the fix."""

    exit_code = ExitCode.USAGE


class ConfigError(CourseKitError):
    pass


class UnknownWeekError(CourseKitError):
    pass


class NotebookError(CourseKitError):
    """A notebook is missing, unreadable or malformed."""


class CheckDefinitionError(CourseKitError):
    """A week's checks or mistakes are missing or inconsistent."""


class ProbeError(Exception):
    """A probe could not run the learner's code; the message is safe to show the learner."""
