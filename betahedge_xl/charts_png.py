"""PNG charts (matplotlib) for people without a spreadsheet program: ``--png DIR``.

The pictures are drawn from the same :class:`~betahedge_xl.plan.OutputPlan` as the xlsx report
and the Excel refresh: the same charts, titles, series, colours, line styles and axes.

matplotlib is a dependency of the package (the README's plain ``pip install .`` gives working
``--png``), imported only when a PNG is asked for, so the command line and Excel start without
loading it. A Python where it cannot be imported gets a message that says what to run.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._files import replacing
from .exceptions import BetaHedgeError, InputError
from .plan import LOG_AXIS_NOTE, PALETTE, Chart, OutputPlan, build_plan

if TYPE_CHECKING:
    from .analysis import HedgeResult

#: Pixels per inch of the pictures: a 480 x 255 pt chart is 1000 x 531 px.
DPI = 150


class MissingDependencyError(BetaHedgeError):
    """A package needed for the request cannot be imported."""

    exit_code = 4


def _pyplot(report: Path | None = None) -> Any:
    try:
        import matplotlib
    except ImportError as exc:
        done = f"the report {report} is written; " if report is not None else ""
        raise MissingDependencyError(
            f"PNG charts need matplotlib, which this Python cannot import ({exc}); {done}"
            f"install it with: {Path(sys.executable).name} -m pip install matplotlib "
            f"(or pip install . again in a checkout of betahedge-xl)") from None
    # No display on servers and in CI; Agg draws to files only.
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def write_pngs(result: HedgeResult | None, folder: str | Path, *,
               plan: OutputPlan | None = None, report: Path | None = None) -> list[Path]:
    """Draw every chart of the plan as ``<chart name>.png`` in ``folder``.

    Parameters
    ----------
    result
        The result to draw; ignored when ``plan`` is given.
    folder
        Where to write; created (with its parents) when absent.
    plan
        A ready output plan.
    report
        The .xlsx already written from the same plan, named in the message when matplotlib
        is missing.

    Returns
    -------
    list of pathlib.Path
        The files written, in the plan's order (``bh_chart_scatter.png``, ...).

    Raises
    ------
    MissingDependencyError
        matplotlib cannot be imported.
    InputError
        The folder cannot be created or written.
    """
    plt = _pyplot(report)
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
    from matplotlib.ticker import FuncFormatter, PercentFormatter

    # The native chart's size: the plan's points are 1/72 inch.
    fig, ax = plt.subplots(figsize=(chart.width / 72, chart.height / 72), dpi=DPI,
                           layout="constrained")
    for k, s in enumerate(chart.series):
        x = _column(plan, s.table, s.x_col)
        y = [float("nan") if v is None else v for v in _column(plan, s.table, s.y_col)]
        color = s.color or PALETTE[k % len(PALETTE)]
        if chart.kind == "scatter" and not s.line:
            ax.scatter(x, y, s=10, color=color, alpha=0.55, edgecolors="none", label=s.name)
        elif chart.kind == "scatter":
            # A line over scatter points (the regression line's fitted values): drawn in x
            # order, so that it is one stroke and not the points' back-and-forth in date order.
            xy = sorted((a, b) for a, b in zip(x, y) if a is not None)
            ax.plot([a for a, _ in xy], [b for _, b in xy], color=color, linewidth=s.width,
                    label=s.name)
        else:
            ax.plot(x, y, color=color, linewidth=s.width, linestyle="--" if s.dash else "-",
                    label=s.name)
    ax.set_title(chart.title, fontsize=9, fontweight="bold")
    if chart.x_title:
        ax.set_xlabel(chart.x_title, fontsize=8)
    y_title = chart.y_title
    if chart.y_log_base:
        ax.set_yscale("log", base=chart.y_log_base)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        y_title += LOG_AXIS_NOTE
    if y_title:
        ax.set_ylabel(y_title, fontsize=8)
    # Decimals as the ticks need them (weekly residuals step by 0.5%): never two "1%" ticks.
    if chart.x_number_format and "%" in chart.x_number_format:
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    if chart.y_number_format and "%" in chart.y_number_format:
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.tick_params(labelsize=7)
    ax.grid(True, color="#E0E0E0", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if chart.kind == "scatter":
        ax.axhline(0, color="#A6A6A6", linewidth=0.6)
        ax.axvline(0, color="#A6A6A6", linewidth=0.6)
    else:
        for label in ax.get_xticklabels():
            label.set_rotation(45)
            label.set_horizontalalignment("right")
    if len(chart.series) > 1:
        # Below the plot, as in the workbook: the legend never hides a line.
        fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", frameon=False,
                   fontsize=7, ncol=min(4, len(chart.series)))
    return fig
