"""The worksheet functions in xlwings Lite: one line in Lite's ``main.py`` brings them all::

    from betahedge_xl.lite import *

xlwings Lite (an Office add-in: Python in Pyodide, in Excel's browser runtime on Windows, macOS
and the web) registers every function of ``main.py`` decorated with ``xlwings.func``, which
there is Lite's own Office.js API. This module gives it the nine functions of
:mod:`betahedge_xl.udfs` under the same names and arguments, each a thin wrapper built by
:func:`betahedge_xl.excel.officejs.face`, which says how Office.js values are read and shown.
"""

from __future__ import annotations

from . import udfs
from .excel.officejs import (  # noqa: F401  (the Office.js face's names, read here by tests)
    DATE_SYSTEM_VARIABLE,
    STOCKHISTORY_NOTE,
    WAITING,
    OfficeJsCells,
    argument,
    date_system,
    face,
    result,
    ticker_message,
)

#: What ``from betahedge_xl.lite import *`` brings into Lite's ``main.py``: the nine
#: functions, under the names (and in the order) of :mod:`betahedge_xl.udfs`.
__all__ = [name for name in udfs.__all__ if name.startswith("BETA_HEDGE")]
globals().update(face({name: getattr(udfs, name) for name in __all__}, __name__, udfs._wizard))
