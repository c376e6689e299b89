"""What a ticker may look like: checked once, at the data layer's front door.

A ticker becomes a file name (``<TICKER>.csv`` in a CSV folder), a store key and part of a
Yahoo URL, so it is held to the characters tickers really use: letters, digits and
``. - ^ = _ &`` (``BRK-B``, ``^GSPC``, ``EURUSD=X``, ``0700.HK``, ``M&M.NS``). No path
separator (nor ``.`` or ``..`` alone) can pass, so a CSV-folder lookup never leaves its
folder, and an over-long name is refused with a message rather than the operating system's
"File name too long".
"""

from __future__ import annotations

import re

from ..exceptions import InputError

#: Longest ticker accepted. Exchange symbols, Yahoo's suffixes (``.HK``, ``=F``) and option
#: symbols (``SPY250117C00500000``) stay well inside it.
MAX_TICKER_LENGTH = 32

#: Any of these characters anywhere, at least one letter or digit among them. A leading ``=`` or
#: ``-`` passes (a CSV folder may hold ``-TSLA.csv``): the faces write tickers as text, and the
#: CSV writer neutralises a field that would start a formula.
_TICKER = re.compile(r"[A-Z0-9^.=_&\-]+")
_ALNUM = re.compile(r"[A-Z0-9]")


def _shown(text: str) -> str:
    return repr(text if len(text) <= 20 else text[:19] + "\u2026")


def check_ticker(text: str) -> str:
    """``text`` stripped and upper-cased, once it is known to be a ticker.

    Parameters
    ----------
    text
        A ticker as the user typed it (any case, surrounding blanks allowed).

    Returns
    -------
    str
        The ticker, upper-cased.

    Raises
    ------
    InputError
        Empty, longer than :data:`MAX_TICKER_LENGTH`, or holding a character other than
        letters, digits and ``. - ^ = _ &`` (a path such as ``../x``, a formula such as ``=1+1``).
    """
    t = text.strip().upper()
    if not t:
        raise InputError("ticker: empty")
    if not _TICKER.fullmatch(t) or not _ALNUM.search(t):
        raise InputError(f"ticker {_shown(t)}: only letters, digits and . - ^ = _ & are "
                         f"allowed")
    if len(t) > MAX_TICKER_LENGTH:
        raise InputError(f"ticker {_shown(t)} is longer than {MAX_TICKER_LENGTH} characters")
    return t
