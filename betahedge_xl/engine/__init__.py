"""Pure numerics of the beta hedge: no files, no network, no Excel.

Takes and returns pandas/numpy. Names follow statsmodels where statsmodels has one.
"""

from __future__ import annotations

from .hedge import (
    HedgeCheck,
    OutOfSample,
    apply_hedge,
    hedge_effectiveness,
    hedged_returns,
    out_of_sample_arrays,
    out_of_sample_effectiveness,
)
from .ewma import ewma_beta
from .many import (
    check_rolling_window,
    regress_many,
    rolling_beta,
    rolling_ols_betas,
)
from .ols import (
    OLSResult,
    blume_adjust,
    cov_key,
    fit_arrays,
    newey_west_lags,
    ols,
    slopes_arrays,
)
from .periods import (
    PERIODS_PER_YEAR,
    annual_to_periodic,
    annualize_alpha,
    normalize_frequency,
    normalize_method,
    normalize_rf_unit,
    parse_rate,
    periods_per_year,
    rf_unit_words,
    risk_free_note,
    risk_free_per_period,
)
from .portfolio import (
    Exposure,
    book_returns,
    book_weights,
    drifting_weights,
    exposure,
    holdings_vector,
    index_from_returns,
    position_betas,
    portfolio_returns,
    portfolio_value,
    weighted_index,
    weights_from_holdings,
)
from .returns import (
    PreparedReturns,
    align_prices,
    as_price_frame,
    as_price_table,
    excess_returns,
    excess_table,
    prepare_prices,
    prepare_table,
    prices_to_returns,
    resample_prices,
    return_table,
    risk_free_rate,
    simple_or_log_returns,
)
from .table import Table
from .sizing import (
    FUTURES_INDEX,
    FUTURES_MULTIPLIERS,
    HedgeSize,
    hedge_size,
    known_contracts,
    near_contract,
)

__all__ = [
    "FUTURES_INDEX", "FUTURES_MULTIPLIERS", "HedgeCheck", "HedgeSize", "OLSResult", "OutOfSample",
    "PERIODS_PER_YEAR", "PreparedReturns", "align_prices", "annual_to_periodic",
    "annualize_alpha", "apply_hedge", "as_price_frame", "blume_adjust", "ewma_beta",
    "excess_returns", "hedge_effectiveness", "hedge_size", "known_contracts", "near_contract", "hedged_returns",
    "holdings_vector", "newey_west_lags", "normalize_frequency", "normalize_method",
    "normalize_rf_unit", "parse_rate", "rf_unit_words", "risk_free_per_period", "risk_free_note", "ols",
    "out_of_sample_effectiveness", "periods_per_year", "portfolio_returns", "portfolio_value",
    "prepare_prices", "prices_to_returns", "regress_many", "resample_prices", "risk_free_rate", "rolling_beta", "rolling_ols_betas",
    "simple_or_log_returns", "weighted_index", "weights_from_holdings",
    "Exposure", "book_returns", "book_weights", "drifting_weights", "exposure",
    "index_from_returns", "position_betas", "Table", "check_rolling_window", "excess_table",
    "fit_arrays", "cov_key", "out_of_sample_arrays", "as_price_table", "slopes_arrays", "prepare_table", "return_table",
]
