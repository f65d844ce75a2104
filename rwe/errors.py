"""Typed errors with exit codes; only the CLI renders them."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes, documented in `rwe --help`."""

    OK = 0
    FAILURE = 1  # unexpected failure (a bug: please report it)
    USAGE = 2  # bad command line (typer's own code)
    BAD_INPUT = 3  # bad input file or too many rejected records
    DATABASE_UNREACHABLE = 4
    SCHEMA = 5  # schema missing or older than the code
    VOCABULARY = 6  # vocabulary missing or a bad vocabulary file
    QUALITY_GATE = 7  # a fatal data-quality gate failed
    LOCKED = 8  # another run holds the lock
    STATISTICS = 9  # an analysis could not be computed (e.g. too few rows)


class RweError(Exception):
    """Base error: `what` went wrong and `fix`, how to fix it."""

    exit_code: ExitCode = ExitCode.FAILURE

    def __init__(self, what: str, fix: str = "") -> None:
        super().__init__(what)
        self.what = what
        self.fix = fix

    def render(self) -> str:
        """`Error: <what>. <how to fix>` as the CLI prints it."""
        what = self.what.rstrip(".")
        return f"Error: {what}. {self.fix}".rstrip()


class BadInputError(RweError):
    exit_code = ExitCode.BAD_INPUT


class DatabaseUnreachableError(RweError):
    exit_code = ExitCode.DATABASE_UNREACHABLE


class SchemaError(RweError):
    exit_code = ExitCode.SCHEMA


class VocabularyError(RweError):
    exit_code = ExitCode.VOCABULARY


class QualityGateError(RweError):
    exit_code = ExitCode.QUALITY_GATE


class LockedError(RweError):
    exit_code = ExitCode.LOCKED


class StatisticsError(RweError):
    exit_code = ExitCode.STATISTICS
