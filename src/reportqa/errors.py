"""reportqa's own errors: what a user can fix, told in one line.

The shells turn a :class:`ReportqaError` into one line and exit 2 (CLI) or a
4xx (HTTP). Any other exception is a bug: a traceback and exit 1, or a
logged 500.
"""

from __future__ import annotations


class ReportqaError(Exception):
    """An error the user can fix; the message names the file, field or setting and the fix."""


class UsageError(ReportqaError):
    """A bad command-line argument."""


class SettingsError(ReportqaError):
    """Settings that cannot work together (a generator without its URL)."""
