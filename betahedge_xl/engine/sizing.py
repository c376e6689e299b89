"""Hedge sizing: how many benchmark shares or index futures to short, and the beta left over."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..exceptions import InputError

#: Index points to dollars of the common US equity-index futures.
FUTURES_MULTIPLIERS: dict[str, float] = {"ES": 50.0, "MES": 5.0, "NQ": 20.0, "MNQ": 2.0,
                                         "YM": 5.0, "MYM": 0.5, "RTY": 50.0, "M2K": 5.0}

#: The index each contract tracks and the tickers that stand for that index (its ETF first:
#: the prices a book's beta to the contract is measured on when the benchmark is another).
FUTURES_INDEX: dict[str, tuple[str, tuple[str, ...]]] = {
    **dict.fromkeys(("ES", "MES"), ("S&P 500", ("SPY", "^GSPC", "^SPX", "IVV", "VOO"))),
    **dict.fromkeys(("NQ", "MNQ"), ("Nasdaq-100", ("QQQ", "^NDX", "QQQM"))),
    **dict.fromkeys(("YM", "MYM"), ("Dow Jones Industrial Average", ("DIA", "^DJI"))),
    **dict.fromkeys(("RTY", "M2K"), ("Russell 2000", ("IWM", "^RUT"))),
}


def known_contracts() -> str:
    """``ES 50, MES 5 (S&P 500); NQ 20, ...; multipliers in currency per index point``: the
    contracts a hedge can be sized in, by index (short enough for a cell's message)."""
    by_index: dict[str, list[str]] = {}
    for code, mult in FUTURES_MULTIPLIERS.items():
        by_index.setdefault(FUTURES_INDEX[code][0], []).append(f"{code} {mult:g}")
    return "; ".join(f"{', '.join(codes)} ({index})" for index, codes in by_index.items()) + (
        "; multipliers in currency per index point")


def near_contract(code: str) -> str | None:
    """The known contract ``code`` looks like a slip of (``SE`` for ``ES``, ``ESS``), else
    ``None``: the same letters in another order, or one letter added, dropped or changed."""
    code = code.strip().upper()
    if code in FUTURES_MULTIPLIERS:
        return None
    for known in FUTURES_MULTIPLIERS:
        if sorted(code) == sorted(known) or _one_edit(code, known):
            return known
    return None


def _one_edit(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1 or min(len(a), len(b)) < 2:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


#: Largest hedge, in units, that is sized: every whole number below it is exact in a float.
MAX_UNITS = 2.0**53


@dataclass(frozen=True)
class HedgeSize:
    """Units of the hedge instrument to short for a position.

    Attributes
    ----------
    exact : float
        ``beta * value / (price * multiplier)`` before rounding.
    units : int
        Whole shares or contracts to short (rounded to the nearest).
    notional : float
        Value of the rounded hedge, ``units * price * multiplier``.
    target_notional : float
        ``beta * value``: the hedge that would leave zero beta.
    residual_beta : float
        Beta of the hedged position after rounding, ``beta - notional / value``.
    """

    beta: float
    value: float
    price: float
    multiplier: float
    exact: float
    units: int
    notional: float
    target_notional: float
    residual_beta: float
    instrument: str = ""
    #: Where :attr:`beta` came from (the fit on the benchmark, measured on the instrument's
    #: prices, stated by the user); empty when the caller gave a bare number.
    basis: str = ""

    @property
    def unit(self) -> str:
        """``"contracts"`` or ``"shares"``: what :attr:`units` counts."""
        return "contracts" if self.is_futures else "shares"

    @property
    def side(self) -> str:
        """``"sell"`` (a long exposure to hedge) or ``"buy"``."""
        return "sell" if self.units >= 0 else "buy"

    @property
    def is_futures(self) -> bool:
        """Whether the units are futures contracts (else shares, whose multiplier is 1)."""
        return self.instrument.upper() in FUTURES_MULTIPLIERS or self.multiplier != 1.0

    def to_dict(self) -> dict[str, object]:
        """JSON-ready mapping; ``contracts`` (futures) or ``shares`` names the units (signed:
        positive to sell), ``notional`` is the rounded hedge's value, ``target_notional`` the
        exact one (``beta x value``); ``beta`` is the beta to the instrument and
        ``beta_basis`` says where it came from."""
        return {"instrument": self.instrument or None, self.unit: self.units,
                "units": self.units, "side": self.side,
                "exact": self.exact, "notional": self.notional,
                "target_notional": self.target_notional, "residual_beta": self.residual_beta,
                "beta": self.beta, "beta_basis": self.basis or None, "value": self.value,
                "price": self.price, "multiplier": self.multiplier}

    def __str__(self) -> str:
        def text(value: object) -> str:
            if isinstance(value, float):
                return f"{value:,.2f}" if abs(value) >= 1e4 else f"{value:.6g}"
            return str(value)

        return "\n".join(f"{label:<24} {text(value):>16}" for label, value in self.rows())

    def _repr_html_(self) -> str:
        cells = "".join(f"<tr><td>{label}</td><td>{value:,.6g}</td></tr>"
                        if isinstance(value, float) else
                        f"<tr><td>{label}</td><td>{value}</td></tr>"
                        for label, value in self.rows())
        return f"<table>{cells}</table>"

    def rows(self) -> list[list[object]]:
        """Label/value rows for tables and cells."""
        head: list[list[object]] = [["Hedge instrument", self.instrument]] if self.instrument \
            else []
        unit = self.unit.capitalize()
        basis: list[list[object]] = [["Beta from", self.basis]] if self.basis else []
        return head + [
            ["Beta", self.beta],
            *basis,
            ["Position value", self.value],
            ["Hedge price", self.price],
            ["Hedge multiplier", self.multiplier],
            [f"{unit} to {self.side}", abs(self.units)],
            [f"{unit} (exact, + to sell)", self.exact],
            ["Hedge notional", self.notional],
            ["Residual beta after rounding", self.residual_beta],
        ]


def hedge_size(
    beta: float, value: float, price: float, multiplier: float | str = 1.0,
    instrument: str | None = None, basis: str = "",
) -> HedgeSize:
    """Shares (``multiplier=1``) or futures contracts (``"ES"`` = 50, ``"MES"`` = 5) to short.

    Parameters
    ----------
    beta
        The position's beta to the hedge instrument's underlying.
    value
        Position value in currency (negative for a short position: the hedge is then a long).
    price
        Price of one share, or the futures price in index points.
    multiplier
        Currency per index point of one contract, or a contract code from
        :data:`FUTURES_MULTIPLIERS`.
    instrument
        Name of the hedge shown in tables (``"ES"``, ``"SPY"``); none by default.
    """
    if isinstance(multiplier, str):
        code = multiplier.strip().upper()
        if code not in FUTURES_MULTIPLIERS:
            raise InputError(f"unknown futures contract {multiplier!r}; known: "
                             f"{known_contracts()}")
        mult = FUTURES_MULTIPLIERS[code]
    else:
        mult = float(multiplier)
    for name, v in (("beta", beta), ("value", value), ("price", price), ("multiplier", mult)):
        if not isinstance(v, (int, float)) or not math.isfinite(v):
            raise InputError(f"{name} must be a finite number, got {v!r}")
    if price <= 0:
        raise InputError(f"hedge price must be positive, got {price!r}")
    if mult <= 0:
        raise InputError(f"multiplier must be positive, got {mult!r}")
    if value == 0:
        raise InputError("position value is zero; nothing to hedge")
    unit = price * mult
    if not math.isfinite(unit):
        raise InputError(f"hedge too large to size: price {price:g} x multiplier {mult:g} "
                         f"overflows")
    target = beta * value
    exact = target / unit
    if not math.isfinite(exact) or abs(exact) >= MAX_UNITS:
        # 1E300 / 1E-300 overflows; past 2**53 a float no longer holds every whole number.
        raise InputError(f"hedge too large to size: {exact:.3g} units of {price:g} x {mult:g} "
                         f"for a position of {value:g}; check the value and the price")
    units = int(math.floor(exact + 0.5)) if exact >= 0 else -int(math.floor(-exact + 0.5))
    notional = units * unit
    return HedgeSize(
        beta=float(beta),
        value=float(value),
        price=float(price),
        multiplier=mult,
        exact=exact,
        units=units,
        notional=notional,
        target_notional=target,
        residual_beta=float(beta) - notional / value,
        instrument=instrument or "",
        basis=basis,
    )
