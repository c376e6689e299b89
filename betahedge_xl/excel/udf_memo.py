"""The worksheet functions' short memory: one request's result is kept for
:data:`MEMO_SECONDS`, so a sheet of formulas over the same data costs one computation."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

from . import cells

#: Seconds a computed result is reused for identical arguments.
MEMO_SECONDS = 120.0
#: Results kept at most (a workbook rarely has more distinct requests).
MEMO_SIZE = 64

_memo: OrderedDict[Any, tuple[float, Any]] = OrderedDict()
_memo_lock = threading.Lock()



def clear_memo() -> None:
    """Forget every kept result (tests). The prices behind them are the data layer's to keep:
    :func:`betahedge_xl.data.clear_memory` forgets those."""
    with _memo_lock:
        _memo.clear()


def _cells_key(value: Any) -> Any:
    # The cells as they came (a few hundred for a price range): hashing them costs far less
    # than reading them into prices, which only a computation needs.
    return getattr(value, "first_row", 1), cells.freeze(value)



def _memoized(key: Any, compute: Any) -> Any:
    # The data layer keeps the prices; this keeps what is computed from them, so a sheet of
    # BETA_HEDGE_STAT cells over one request fits it once.
    from .._dates import uses_1904

    key = (uses_1904(), key)  # the same serial numbers are other dates in a 1904 workbook
    now = time.monotonic()
    with _memo_lock:
        hit = _memo.get(key)
        if hit is not None and now - hit[0] < MEMO_SECONDS:
            _memo.move_to_end(key)
            return hit[1]
    value = compute()
    with _memo_lock:
        _memo[key] = (now, value)
        _memo.move_to_end(key)
        while len(_memo) > MEMO_SIZE:
            _memo.popitem(last=False)
    return value
