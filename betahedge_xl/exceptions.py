"""The project's errors and warnings, in one place.

Every face maps these to what its user sees: a short text in an Excel cell, one line on stderr
and a non-zero exit status on the command line, the exception itself in Python. The message of
each error names the problem in words an analyst understands, short enough for a cell.
"""

from __future__ import annotations


class BetaHedgeError(Exception):
    """Base of every error the project raises on bad input or unavailable data.

    ``str(err)`` is the short, complete message meant for a user.
    """

    #: Exit status the command line uses for this kind of error.
    exit_code: int = 2


class InputError(BetaHedgeError, ValueError):
    """An argument is malformed: a bad date, option, or shape."""


class AmbiguousDateError(InputError):
    """A date typed as text that reads two ways (``01/02/2014``); the message names both."""


class DateRangeError(InputError):
    """The window is empty or reversed."""


class InsufficientDataError(BetaHedgeError):
    """Too few observations to estimate what was asked for."""


class NoOverlapError(InsufficientDataError):
    """Asset and benchmark share no dates."""


class ConstantRegressorError(BetaHedgeError):
    """A benchmark's returns do not vary, so beta is undefined."""


class CollinearityError(BetaHedgeError):
    """Benchmarks are linearly dependent, so their betas are not identified."""


class PriceError(BetaHedgeError):
    """Prices that cannot be turned into returns (zero, negative, all missing)."""


class HoldingsError(InputError):
    """A portfolio's tickers and weights or share counts do not fit together."""


class DataError(BetaHedgeError):
    """Prices could not be had from a source."""

    exit_code = 3


class UnknownTickerError(DataError):
    """The source has no such symbol."""


class RateLimitError(DataError):
    """The source refused because of too many requests, and nothing is stored."""


class OfflineError(DataError):
    """The source is unreachable and nothing is stored for the request."""


class StoreError(DataError):
    """The local price store could not be used."""


class BetaHedgeWarning(UserWarning):
    """Base of the project's warnings."""


class DataWarning(BetaHedgeWarning):
    """Rows dropped, gaps, stale prices or other data-quality findings."""


class StaleDataWarning(DataWarning):
    """Served from the local store because the source could not be reached."""


class StoreWarning(DataWarning):
    """The local price store was damaged or foreign and has been set aside."""


def user_message(exc: BaseException) -> str:
    """The short text a face shows for ``exc``.

    Project errors carry their own message. Anything else is a bug or an environment problem;
    its type name is kept so that a user's report can be acted on.
    """
    if isinstance(exc, BetaHedgeError):
        return str(exc)
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    name = type(exc).__name__
    return f"{name}: {text}" if text else name
