"""The data sheet (``BetaHedge``): the summary, the data tables right of the charts and the
charts stacked in column D, from one :class:`~betahedge_xl.analysis.HedgeResult`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import formats as _formats
from .model import (
    _UNIT,
    CHART_GAP_ROWS,
    CHART_MARGIN,
    CHART_WIDTH,
    CHARTS_COL,
    DATE_FORMAT,
    DEFAULT_ROW_HEIGHT,
    FIT_LINE,
    PALETTE,
    PREFIX,
    REFERENCE,
    SHEET,
    SUMMARY_VALUE_WIDTH,
    Chart,
    ChartSeries,
    OutputPlan,
    Table,
    _data_widths,
    _dt,
    _label_widths,
    _pd,
    _records,
    _wrap,
    context,
    excess_suffix,
    hedge_formula,
    tint,
)

if TYPE_CHECKING:
    from ..analysis import HedgeResult


def _position_betas(result: HedgeResult, anchor: tuple[int, int]) -> Table:
    """Ticker, weight, own beta and contribution of each holding (a book only)."""
    frame = result.positions
    assert frame is not None
    header = ["Ticker", *[str(c).capitalize() for c in frame.columns]]
    rows = [[str(t), *[float(v) for v in row]] for t, row in
            zip(frame.index, frame.to_numpy(dtype=float).tolist())]
    formats = {j: ("#,##0" if c == "shares" else "0.00%" if c == "weight" else "0.000")
               for j, c in enumerate(frame.columns, start=1)}
    return Table(name=f"{PREFIX}position_betas",
                 title=f"Positions: beta on {result.benchmarks[0]}",
                 anchor=anchor, header=header, rows=rows, number_format=formats)


def build_plan(result: HedgeResult, sheet: str = SHEET) -> OutputPlan:
    """The tables and charts of one result, at fixed places on ``sheet``."""
    widths: dict[int, float] = {}
    heights: dict[int, float] = {}
    wrapped: set[tuple[int, int]] = set()
    tables = _summary_tables(result, heights, wrapped)
    widths.update(_label_widths(tables))
    data = _data_tables(result, _tables_col(sheet, widths, heights))
    tables += data
    widths.update(_data_widths(data))
    specs = [*_scatter_specs(result, data), _growth_spec(result, data),
             _rolling_spec(result, data)]
    return OutputPlan(
        sheet=sheet,
        title=tables[0].title,
        tables=tables,
        charts=_stacked(specs, OutputPlan(sheet, "", [], [], widths, heights)),
        column_widths=widths,
        row_heights=heights,
        wrapped=frozenset(wrapped),
    )


# -- summary (A:B) and, for a portfolio, its holdings below ------------------------------------
def _summary_tables(result: HedgeResult, heights: dict[int, float],
                    wrapped: set[tuple[int, int]]) -> list[Table]:
    """The summary and, for a book, its holdings under it; long texts wrap (``heights`` and
    ``wrapped`` get their rows)."""
    name, benches = result.name, list(result.benchmarks)
    keys = result.stat_names()
    rows: list[list[Any]] = []
    cell_formats: dict[tuple[int, int], str] = {}
    for i, (key, (label, value)) in enumerate(zip(keys, result.summary().itertuples(
            index=False))):
        value = _dt(value)
        if isinstance(value, str):
            text, lines = _wrap(value, SUMMARY_VALUE_WIDTH)
            if lines > 1:
                value = text
                heights[i + 2] = DEFAULT_ROW_HEIGHT * lines
                wrapped.add((i + 2, 1))
        rows.append([label, value])
        fmt = _formats.excel_format(key, value, benches)
        if fmt is not None:
            cell_formats[(i, 1)] = fmt
    summary = Table(
        name=f"{PREFIX}summary",
        title=f"Beta hedge: {name} on {result.benchmark}",
        anchor=(0, 0),
        header=["Statistic", "Value"],
        rows=rows,
        cell_formats=cell_formats,
    )
    tables = [summary]
    if result.holdings is not None:
        weights = (result.holdings_kind or "").startswith("weights")  # "weights in percent"
        holdings = Table(
            # Not "bh_holdings": that name is the inputs block's holdings table.
            name=f"{PREFIX}positions",
            title="Holdings",
            anchor=(summary.last_row + 2, 0),
            header=["Holding", "Weight" if weights else "Shares"],
            rows=[[str(t), float(v)] for t, v in result.holdings.items()],
            number_format={1: "0.00%" if weights else "#,##0.####"},
        )
        tables.append(holdings)
    return tables


# -- the tables, right of the charts -------------------------------------------------------
def _tables_col(sheet: str, widths: dict[int, float], heights: dict[int, float]) -> int:
    """The first column clear of the charts' right edge (and margin)."""
    probe = OutputPlan(sheet, "", [], [], widths, heights)
    charts_left = probe.col_left(CHARTS_COL)
    col = CHARTS_COL
    while probe.col_left(col) < charts_left + CHART_WIDTH + CHART_MARGIN:
        col += 1
    return col


def _data_tables(result: HedgeResult, col: int) -> list[Table]:
    """Returns, [partial regression], growth of 1, rolling beta [and each holding's beta],
    side by side from column ``col``."""
    tables = [_returns_table(result, col)]
    if len(result.benchmarks) > 1:
        tables.append(_partial_table(result, tables[-1].anchor[1] + tables[-1].n_cols + 1))
    tables.append(_cumulative_table(result, tables[-1].anchor[1] + tables[-1].n_cols + 1))
    tables.append(_rolling_table(result, tables[-1].anchor[1] + tables[-1].n_cols + 1))
    if result.positions is not None:
        # Each holding's own beta beside the other data tables (the holdings under the summary
        # are the book as given; this is the regression of each).
        tables.append(_position_betas(result, (0, tables[-1].anchor[1] + tables[-1].n_cols
                                               + 1)))
    return tables


def _returns_table(result: HedgeResult, col: int) -> Table:
    asset, benches = result.asset, list(result.benchmarks)
    ex = excess_suffix(result)
    series = result.series().set_index("date")
    b1 = float(result.fit.params.iloc[1])
    returns_frame = series[[*benches, asset]].set_axis([f"{c}{ex}" for c in [*benches, asset]],
                                                       axis=1)
    if len(benches) == 1:
        # The regression line beside the asset: the scatter's points and line are two
        # adjacent columns against one x column, a block every drawer can chart.
        returns_frame["Fitted"] = result.alpha + b1 * series[benches[0]]
    returns_frame[f"hedged{ex}"] = series["hedged"]
    period = f"{result.frequency.capitalize()} {result.method}"
    return Table(
        name=f"{PREFIX}returns",
        title=f"{period} returns" + (" in excess of the risk-free rate" if ex else ""),
        anchor=(0, col),
        header=["Date", *returns_frame.columns.map(str)],
        rows=_records(returns_frame),
        number_format={0: DATE_FORMAT, **{j: "0.00%" for j in range(1, returns_frame.shape[1] + 1)}},
    )


def _partial_table(result: HedgeResult, col: int) -> Table:
    asset, ex = result.asset, excess_suffix(result)
    parts = result.partial_regression()
    frame = {}
    for b in result.benchmarks:
        p = parts[b]
        beta_j = float(result.betas[b])
        frame[f"{b} net"] = p["x"]
        frame[f"{asset} net ({b})"] = p["y"]
        frame[f"Fit {b}"] = beta_j * p["x"]
    partial_frame = _pd().DataFrame(frame)
    return Table(
        name=f"{PREFIX}partial",
        title="Partial regression: returns net of the other benchmarks" + (
            f" ({ex.strip()})" if ex else ""),
        anchor=(0, col),
        header=["Date", *partial_frame.columns.map(str)],
        rows=_records(partial_frame),
        number_format={0: DATE_FORMAT,
                       **{j: "0.00%" for j in range(1, partial_frame.shape[1] + 1)}},
    )


def _cumulative_table(result: HedgeResult, col: int) -> Table:
    ex = excess_suffix(result)
    cum_frame = result.cumulative()
    return Table(
        name=f"{PREFIX}cumulative",
        title="Growth of 1" + (" (excess returns)" if ex else ""),
        anchor=(0, col),
        header=["Date", *[f"{c}{ex}" for c in cum_frame.columns]],
        rows=_records(cum_frame),
        number_format={0: DATE_FORMAT, **{j: "0.0000" for j in range(1, cum_frame.shape[1] + 1)}},
    )


def _rolling_table(result: HedgeResult, col: int) -> Table:
    roll = result.rolling_beta
    se = result.rolling_beta_se()
    band: dict[str, Any] = {}
    for b in roll.columns:
        band[f"Beta {b}"] = roll[b]
        # The full-sample line spans the whole sample, also before the window fills.
        band[f"Full-sample {b}"] = float(result.betas[b])
        band[f"+2 SE {b}"] = roll[b] + 2.0 * se[b]
        band[f"-2 SE {b}"] = roll[b] - 2.0 * se[b]
    band_frame = _pd().DataFrame(band, index=roll.index)
    return Table(
        name=f"{PREFIX}rolling",
        title=f"Rolling {result.rolling_window}-{_unit(result)} beta, full-sample beta, "
              f"+/-2 SE",
        anchor=(0, col),
        header=["Date", *band_frame.columns.map(str)],
        rows=_records(band_frame),
        number_format={0: DATE_FORMAT, **{j: "0.000" for j in range(1, band_frame.shape[1] + 1)}},
    )


def _unit(result: HedgeResult) -> str:
    return _UNIT.get(result.frequency, "period")


def _named(tables: list[Table], name: str) -> Table:
    return next(t for t in tables if t.name == f"{PREFIX}{name}")


# -- charts, stacked in D.. ----------------------------------------------------------------
def _scatter_specs(result: HedgeResult, tables: list[Table]) -> list[dict[str, Any]]:
    """The returns scatter with its regression line; with several benchmarks, one partial
    regression scatter per benchmark."""
    asset, benches, name = result.asset, list(result.benchmarks), result.name
    ex = excess_suffix(result)
    if len(benches) == 1:
        x = f"{benches[0]}{ex}"
        b1 = float(result.fit.params.iloc[1])
        returns = _named(tables, "returns")
        return [dict(
            name=f"{PREFIX}chart_scatter",
            title=f"Returns, beta {b1:.2f}: {context(result)}",
            kind="scatter",
            series=[
                ChartSeries(f"{result.frequency} returns{ex}", returns.name, x, f"{asset}{ex}",
                            line=False, color=PALETTE[0]),
                ChartSeries(f"alpha + beta x {benches[0]}", returns.name, x, "Fitted",
                            color=FIT_LINE, width=2.0),
            ],
            x_title=f"{benches[0]}{ex} return",
            y_title=f"{name}{ex} return",
            x_number_format="0%",
            y_number_format="0%",
        )]
    partial = _named(tables, "partial")
    specs = []
    for b in benches:
        others = ", ".join(o for o in benches if o != b)
        specs.append(dict(
            name=f"{PREFIX}chart_scatter_{b}",
            title=(f"{name} on {b} net of {others}, beta {float(result.betas[b]):.2f}: "
                   f"{result.frequency}, {result.first_date:%Y-%m-%d}.."
                   f"{result.last_date:%Y-%m-%d}"),
            kind="scatter",
            series=[
                ChartSeries(f"returns net of {others}", partial.name, f"{b} net",
                            f"{asset} net ({b})", line=False, color=PALETTE[0]),
                ChartSeries(f"beta x {b} (partial regression)", partial.name, f"{b} net",
                            f"Fit {b}", color=FIT_LINE, width=2.0),
            ],
            x_title=f"{b}{ex} return net of {others}",
            y_title=f"{name}{ex} return net of {others}",
            x_number_format="0%",
            y_number_format="0%",
        ))
    return specs


def _growth_spec(result: HedgeResult, tables: list[Table]) -> dict[str, Any]:
    """Growth of 1 of each series; on a log scale when it spans more than a factor 3."""
    ex = excess_suffix(result)
    cumulative = _named(tables, "cumulative")
    growth_values = [v for r in cumulative.rows for v in r[1:] if isinstance(v, float)]
    log = (min(growth_values) > 0 and max(growth_values) / min(growth_values) > 3.0
           if growth_values else False)
    hedged_label = f"hedged: {hedge_formula(result)}"
    return dict(
        name=f"{PREFIX}chart_cumulative",
        title=f"Growth of 1{' (excess returns)' if ex else ''}: {context(result)}",
        kind="line",
        series=[ChartSeries(hedged_label if h == f"hedged{ex}" else
                            f"{result.name}{ex}" if h == f"{result.asset}{ex}" else h,
                            cumulative.name, "Date", h, color=PALETTE[k % len(PALETTE)])
                for k, h in enumerate(cumulative.header[1:])],
        y_title="growth of 1",
        x_number_format="yyyy-mm",
        y_log_base=2 if log else None,
        y_number_format="0.0#" if log else None,
    )


def _rolling_spec(result: HedgeResult, tables: list[Table]) -> dict[str, Any]:
    """Each benchmark's rolling beta, its full-sample beta and the +/-2 SE band."""
    multi = len(result.benchmarks) > 1
    rolling = _named(tables, "rolling")
    roll_series: list[ChartSeries] = []
    for k, b in enumerate(result.rolling_beta.columns):
        color = PALETTE[(k + 1) % len(PALETTE)] if multi else PALETTE[0]
        roll_series += [
            ChartSeries(f"Beta {b}", rolling.name, "Date", f"Beta {b}", color=color, width=1.75),
            ChartSeries(f"Full-sample beta {b} ({float(result.betas[b]):.2f})", rolling.name,
                        "Date", f"Full-sample {b}", color=REFERENCE if not multi else color,
                        dash=True, width=1.0),
            ChartSeries(f"+2 SE {b}", rolling.name, "Date", f"+2 SE {b}", color=tint(color),
                        width=0.75),
            ChartSeries(f"-2 SE {b}", rolling.name, "Date", f"-2 SE {b}", color=tint(color),
                        width=0.75),
        ]
    return dict(
        name=f"{PREFIX}chart_rolling",
        title=f"Rolling {result.rolling_window}-{_unit(result)} beta: {context(result)}",
        kind="line",
        series=roll_series,
        y_title="beta",
        x_number_format="yyyy-mm",
        y_number_format="0.0",
    )


def _stacked(specs: list[dict[str, Any]], probe: OutputPlan) -> list[Chart]:
    """The charts of ``specs`` stacked in column D, each below the last one's bottom."""
    charts: list[Chart] = []
    row = 0
    for spec in specs:
        chart = Chart(anchor=(row, CHARTS_COL), **spec)
        charts.append(chart)
        bottom = probe.chart_rect(chart)[3]
        row = probe.row_at(bottom) + CHART_GAP_ROWS
    return charts
