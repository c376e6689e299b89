"""A result's summary rows: the one source of the summary, ``stat`` and ``to_dict``."""

from __future__ import annotations

import math
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from .. import engine as eng
from .advice import Advice
from .numbers import _iso
from .sizing import HedgeSizing
from .request import PRESETS

from ..exceptions import (
    InputError,
)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a ticker-indexed table as JSON-ready mappings (NaN as None)."""
    return [
        {"ticker": str(t),
         **{str(k): (float(v) if math.isfinite(float(v)) else None) for k, v in row.items()}}
        for t, row in frame.iterrows()
    ]


class SummaryRows(Advice, HedgeSizing):
    """(key, label, value) rows of :class:`HedgeResult` and what reads them."""

    def _risk_rows(self) -> list[tuple[str, str, Any]]:
        risk = self.risk
        labels = {"unhedged": "Volatility unhedged (annualised)",
                  "hedged": "Volatility hedged (annualised)",
                  "residual": "Residual volatility (annualised)",
                  "tracking_error": "Tracking error (annualised)"}
        keys = {"unhedged": "volatility", "hedged": "volatility_hedged",
                "residual": "residual_volatility", "tracking_error": "tracking_error"}
        rows: list[tuple[str, str, Any]] = [(keys[k], labels[k], risk[k]) for k in labels]
        if self.capital is not None:
            rows += [(f"{keys[k]}_money", labels[k].replace("(annualised)", "(ann., currency)"), risk[k] * self.capital)
                     for k in labels]
        return rows

    def _book_rows(self) -> list[tuple[str, str, Any]]:
        rows: list[tuple[str, str, Any]] = []
        if self.holdings is not None:
            percent = self.holdings_kind == "weights in percent"
            held = ", ".join(f"{t} {v * 100:g}%" if percent else f"{t} {v:g}"
                             for t, v in self.holdings.items())
            rows.append(("holdings", f"Holdings ({self.holdings_kind})", held))
        book = self.book
        if book is not None:
            unit = " (currency)" if book.kind == "shares" else " (x capital)"
            rows += [("gross_exposure", f"Gross exposure{unit}", book.exposure.gross),
                     ("net_exposure", f"Net exposure{unit}", book.exposure.net)]
            if book.kind == "shares":
                rows.append(("return_base", "Return base", book.return_base))
            rows.append(("cash", "Cash earns", book.cash))
        rows.append(("hedge_advice", "Hedge advice", self._advice_text()))
        if self.capital is not None:
            first = self.benchmarks[0]
            rows += [
                ("capital", "Capital", self.capital),
                ("dollar_beta", "Dollar beta (beta x capital)", self.dollar_beta),
                ("benchmark_notional",
                 f"{first} notional to {'sell' if self.dollar_beta >= 0 else 'buy'}",
                 abs(self.dollar_beta)),
            ]
        size = self.sizing
        if size is not None:
            unit = size.unit.capitalize()
            rows += [
                ("hedge_instrument", "Hedge instrument", size.instrument),
                ("hedge_beta", f"Beta to {size.instrument}", size.beta),
                ("hedge_beta_basis", f"Beta to {size.instrument} from", size.basis),
                ("hedge_price", "Hedge price", size.price),
                ("hedge_multiplier", "Hedge multiplier", size.multiplier),
                ("hedge_units", f"{unit} to {size.side}", abs(size.units)),
                ("hedge_exact", f"{unit} (exact, + to sell)", size.exact),
                ("hedge_notional_rounded", "Hedge notional", size.notional),
                ("residual_beta", f"Residual beta to {size.instrument} after rounding",
                 size.residual_beta),
            ]
        return rows

    # --- tables --------------------------------------------------------------------------
    def _stats(self) -> list[tuple[str, str, Any]]:
        """(key, label, value) rows: the one source of the summary, ``stat`` and ``to_dict``.

        Built once per result (a result does not change): a sheet of BETA_HEDGE_STAT cells,
        the summary, its print and the JSON all read the same rows.
        """
        return list(self._stat_rows)

    @cached_property
    def _stat_rows(self) -> tuple[tuple[str, str, Any], ...]:
        return tuple(self._build_stats())

    def _build_stats(self) -> list[tuple[str, str, Any]]:
        # The fit's table as numbers: a summary reads every cell, pandas views cost more.
        coef = self.fit.coefficients().tolist()  # Python floats: read cell by cell below
        return [*self._sample_rows(), *self._coef_rows(coef), *self._market_rows(),
                *self._fit_rows(), *self._risk_rows(), *self._book_rows(),
                ("warnings", "Data warnings", "; ".join(self.warnings) or "none")]

    def _sample_rows(self) -> list[tuple[str, str, Any]]:
        """What was regressed: names, dates, frequency, returns, observations."""
        returns = self.method if self.risk_free in (0, 0.0) else (
            f"{self.method}, excess of " + (
                f"{self.risk_free * 100:.4g}% a year" if isinstance(self.risk_free, float)
                else str(self.risk_free)
            )
        )
        return [
            ("asset", "Asset", self.name),
            ("benchmark", "Benchmark", self.benchmark),
            ("first_date", "First price date", self.first_date.to_pydatetime()),
            ("last_date", "Last price date", self.last_date.to_pydatetime()),
            ("frequency", "Frequency", self.frequency),
            ("returns", "Returns", returns),
            *([("input", "Input", "returns handed in, used as given (first price date: "
                "the day before the first return)")] if self.input == "returns" else []),
            *([("window", "Window", self.window_note)] if self.window_note else []),
            *([("preset", "Preset", PRESETS[self.preset])] if self.preset else []),
            ("n_obs", "Observations", self.n_obs),
        ]

    def _coef_rows(self, coef: list[list[float]]) -> list[tuple[str, str, Any]]:
        """Alpha and each beta with their standard errors, t, p and confidence intervals."""
        annualised, how = eng.annualize_alpha(self.alpha, self.frequency)
        rows: list[tuple[str, str, Any]] = [
            ("alpha", "Alpha (per period)", coef[0][0]),
            ("alpha_se", "Alpha std. error", coef[0][1]),
            ("alpha_t", "Alpha t-stat", coef[0][2]),
            ("alpha_p", "Alpha p-value", coef[0][3]),
            ("alpha_ci_low", "Alpha 95% CI low", coef[0][4]),
            ("alpha_ci_high", "Alpha 95% CI high", coef[0][5]),
            ("alpha_annualized", f"Alpha annualised ({how})", annualised),
        ]
        multi = len(self.benchmarks) > 1
        for j, name in enumerate(self.benchmarks, start=1):
            suffix = f"_{name}" if multi else ""
            word = f"Beta {name}" if multi else "Beta"
            rows += [
                (f"beta{suffix}", word, coef[j][0]),
                (f"beta_se{suffix}", f"{word} std. error", coef[j][1]),
                (f"beta_t{suffix}", f"{word} t-stat", coef[j][2]),
                (f"beta_p{suffix}", f"{word} p-value", coef[j][3]),
                (f"beta_ci_low{suffix}", f"{word} 95% CI low", coef[j][4]),
                (f"beta_ci_high{suffix}", f"{word} 95% CI high", coef[j][5]),
            ]
        if multi:
            rows.append(("beta", "Beta (first benchmark)", self.beta))
        return rows

    def _market_rows(self) -> list[tuple[str, str, Any]]:
        """With one benchmark: the adjusted beta, downside and upside betas, capture."""
        if len(self.benchmarks) > 1:
            return []
        rows: list[tuple[str, str, Any]] = []
        # Blume's shrinkage toward 1 is about a market beta; a partial coefficient of
        # several benchmarks has no such anchor, nor has a long/short book's beta.
        why = self.not_a_market_beta
        rows.append(("adjusted_beta", "Adjusted beta (Blume)",
                     float("nan") if why else self.adjusted_beta))
        if why:
            rows.append(("adjusted_beta_note", "Blume adjustment", f"not applied: {why}"))
        moves = self.market_moves
        star = self.capture
        rows += [
            ("downside_beta", "Downside beta (benchmark falls)", moves["downside_beta"]),
            ("upside_beta", "Upside beta (benchmark rises)", moves["upside_beta"]),
            ("up_capture", "Up capture % (Morningstar, monthly)", star["up_capture"]),
            ("down_capture", "Down capture % (Morningstar, monthly)",
             star["down_capture"]),
            ("up_capture_empyrical", "Up capture ratio (empyrical, daily)",
             moves["up_capture"]),
            ("down_capture_empyrical", "Down capture ratio (empyrical, daily)",
             moves["down_capture"]),
        ]
        return rows

    def _fit_rows(self) -> list[tuple[str, str, Any]]:
        """How well the fit and the hedge did, in and out of sample."""
        fit, multi = self.fit, len(self.benchmarks) > 1
        cov = "classical" if fit.cov_type == "nonrobust" else f"Newey-West HAC, {fit.maxlags} lags"
        rows: list[tuple[str, str, Any]] = [
            ("r_squared", "R-squared", self.r_squared),
            ("r_squared_adj", "Adj. R-squared", self.r_squared_adj),
            ("correlation", "Correlation" if not multi else "Multiple R", self.correlation),
            ("resid_std", "Residual std. dev. (per period)", self.resid_std),
            ("std_errors", "Standard errors", cov),
            ("hedged_alpha", "Hedged alpha", self.hedged_alpha),
        ]
        for j, name in enumerate(self.benchmarks, start=1):
            suffix = f"_{name}" if multi else ""
            rows.append((f"hedged_beta{suffix}", f"Hedged beta{' ' + name if multi else ''}",
                         float(self.hedge.verification.estimates[j])))
        rows.append(("effectiveness", "Hedge effectiveness (in sample)", self.effectiveness))
        if self.oos is not None:
            o = self.oos
            rows += [
                ("effectiveness_oos", "Hedge effectiveness (out of sample)", o.effectiveness),
                ("oos_window", "Out-of-sample test",
                 f"beta from {_iso(o.estimation_start)}..{_iso(o.estimation_end)}, "
                 f"hedged {_iso(o.test_start)}..{_iso(o.test_end)}"),
            ]
        return rows

    def stat(self, name: str) -> Any:
        """One statistic by key (``"beta"``, ``"alpha_t"``, ``"r_squared"``, ...)."""
        key = name.strip().lower().replace(" ", "_").replace("-", "_")
        aliases = {"rsquared": "r_squared", "r2": "r_squared", "nobs": "n_obs", "n": "n_obs",
                   "start": "first_date", "end": "last_date",
                   "blume": "adjusted_beta", "adj_beta": "adjusted_beta",
                   "alpha_annualised": "alpha_annualized", "r_squared_adjusted": "r_squared_adj",
                   "hedge_notional": "benchmark_notional"}
        key = aliases.get(key, key)
        try:
            return self._stat_index[key]
        except KeyError:
            keys = ", ".join(self.stat_names())
            raise InputError(f"unknown statistic {name!r}; use one of: {keys}") from None

    @cached_property
    def _stat_index(self) -> dict[str, Any]:
        """Every statistic by its case-folded key (several benchmarks' keys carry the ticker,
        "beta_XLK"; the first of a key wins)."""
        index: dict[str, Any] = {}
        for k, _, value in self._stat_rows:
            index.setdefault(k.lower(), value)
        return index

    def stat_names(self) -> list[str]:
        """The keys :meth:`stat` takes, in the summary's order."""
        return [k for k, _, _ in self._stats()]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready mapping of every statistic (dates as ISO strings, NaN as None)."""
        out: dict[str, Any] = {}
        for key, _, value in self._stats():
            if isinstance(value, (pd.Timestamp, np.datetime64)) or hasattr(value, "isoformat"):
                value = value.strftime("%Y-%m-%d")
            elif isinstance(value, (float, np.floating)):
                value = None if not math.isfinite(value) else float(value)
            elif isinstance(value, np.integer):
                value = int(value)
            out[key] = value
        if len(self.benchmarks) > 1:
            # The headline keys every consumer reads name the first benchmark, like "beta".
            first = self.benchmarks[0]
            for key in ("beta_se", "beta_t", "beta_p", "hedged_beta"):
                out[key] = out[f"{key}_{first}"]
        out["benchmarks"] = list(self.benchmarks)
        out["hedge_supported"] = self.hedge_supported
        out["hedge_advice_reasons"] = self.advice
        out["warnings"] = list(self.warnings)
        out["maxlags"] = self.fit.maxlags
        out["annualization"] = self.annualization
        out["rolling_window"] = self.rolling_window
        if self.quality is not None and hasattr(self.quality, "to_dict"):
            out["quality"] = self.quality.to_dict()
        if self.book is not None:
            out["positions"] = _records(self.book.positions)
        if self.sizing is not None:
            out["hedge"] = {**self.sizing.to_dict(), "supported": self.hedge_supported,
                            "advice": out["hedge_advice"]}
        return out
