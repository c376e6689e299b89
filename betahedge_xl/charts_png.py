"""PNG charts (matplotlib) for people without a spreadsheet program: ``--png DIR``.

The pictures are drawn from the same :class:`~betahedge_xl.plan.OutputPlan` as the xlsx report
and the Excel refresh: the same three charts, titles, series and axis labels.

matplotlib is optional (``pip install "betahedge-xl[png]"``) and imported only when a PNG is
asked for, so the command line and Excel start without it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._files import replacing
from .exceptions import BetaHedgeError, InputError
from .plan import Chart, OutputPlan, build_plan
from .report import FIT_LINE, PALETTE  # the xlsx report's colours

if TYPE_CHECKING:
    from .analysis import HedgeResult

DPI = 120


class MissingDependencyError(BetaHedgeError):
    """An optional package needed for the request is not installed."""

    exit_code = 4


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise MissingDependencyError(
            'PNG charts need matplotlib: pip install "betahedge-xl[png]"') from None
    # No display on servers and in CI; Agg draws to files only.
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def write_pngs(result: HedgeResult | None, folder: str | Path, *,
               plan: OutputPlan | None = None) -> list[Path]:
    """Draw every chart of the plan as ``<chart name>.png`` in ``folder``.

    Parameters
    ----------
    result
        The result to draw; ignored when ``plan`` is given.
    folder
        Where to write; created (with its parents) when absent.
    plan
        A ready output plan.

    Returns
    -------
    list of pathlib.Path
        The files written, in the plan's order (``bh_chart_scatter.png``, ...).

    Raises
    ------
    MissingDependencyError
        matplotlib is not installed.
    InputError
        The folder cannot be created or written.
    """
    plt = _pyplot()
    if plan is None:
        if result is None:
            raise InputError("png: give a result or a plan")
        plan = build_plan(result)
    out = Path(folder).expanduser()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--png: cannot create folder {out} ({exc.strerror or exc})") from None
    files = []
    for chart in plan.charts:
        fig = _draw(plt, plan, chart)
        path = out / f"{chart.name}.png"
        try:
            with replacing(path, "--png") as tmp:  # a failed write keeps the previous picture
                fig.savefig(tmp, dpi=DPI, format="png")
        finally:
            plt.close(fig)
        files.append(path)
    return files


def _column(plan: OutputPlan, table_name: str, header: str) -> list[Any]:
    t = plan.table(table_name)
    j = t.header.index(header)
    return [row[j] for row in t.rows]


def _draw(plt: Any, plan: OutputPlan, chart: Chart) -> Any:
    from matplotlib.ticker import PercentFormatter

    # Same size as the native chart (pixels at DPI).
    fig, ax = plt.subplots(figsize=(chart.width * 1.6 / DPI, chart.height * 1.6 / DPI),
                           layout="constrained")
    for k, s in enumerate(chart.series):
        x = _column(plan, s.table, s.x_col)
        y = [float("nan") if v is None else v for v in _column(plan, s.table, s.y_col)]
        if chart.kind == "scatter" and not s.line:
            ax.scatter(x, y, s=12, color=PALETTE[0], alpha=0.55, edgecolors="none",
                       label=s.name)
        elif chart.kind == "scatter":
            # A line over scatter points (the regression line's fitted values): drawn in x
            # order, so that it is one stroke and not the points' back-and-forth in date order.
            xy = sorted((a, b) for a, b in zip(x, y) if a is not None)
            ax.plot([a for a, _ in xy], [b for _, b in xy], color=FIT_LINE, linewidth=2,
                    label=s.name)
        else:
            ax.plot(x, y, color=PALETTE[k % len(PALETTE)], linewidth=1.4, label=s.name)
    ax.set_title(chart.title, fontsize=12, fontweight="bold")
    if chart.x_title:
        ax.set_xlabel(chart.x_title)
    if chart.y_title:
        ax.set_ylabel(chart.y_title)
    if chart.x_number_format and "%" in chart.x_number_format:
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    if chart.y_number_format and "%" in chart.y_number_format:
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.grid(True, color="#E0E0E0", linewidth=0.75)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if chart.kind == "scatter":
        ax.axhline(0, color="#A6A6A6", linewidth=0.75)
        ax.axvline(0, color="#A6A6A6", linewidth=0.75)
    else:
        fig.autofmt_xdate()
    if len(chart.series) > 1:
        ax.legend(frameon=False, fontsize=9, loc="best")
    return fig
