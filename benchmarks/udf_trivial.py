"""A trivial worksheet function with BETA_HEDGE_STAT's signature and argument conversion.

``bench_udfs.py`` times a warm ``BETA_HEDGE_STAT`` cell (its result kept) against this
function through the same xlwings ``call_udf``: the difference is what our own code costs.
Imported under the harness's Windows decorators, like ``betahedge_xl.udfs``.
"""

from __future__ import annotations

from typing import Any

import xlwings as xw

from betahedge_xl.udfs import _CELL, _args


@xw.func
@xw.arg("statistic", **_CELL)
@_args("asset", "benchmark", "start_date", "end_date", "frequency", "returns", "cov_type",
       "risk_free", "maxlags")
def TRIVIAL_STAT(statistic: Any, asset: Any = None, benchmark: Any = None,
                 start_date: Any = None, end_date: Any = None, frequency: Any = None,
                 returns: Any = None, cov_type: Any = None, risk_free: Any = None,
                 maxlags: Any = None) -> Any:
    """Return 1.0 whatever the arguments."""
    return 1.0
