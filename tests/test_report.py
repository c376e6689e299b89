"""The xlsx report and the PNG charts, drawn from the output plan (in process).

The report is read back with openpyxl (cells, formats, names) and as XML (charts, which
openpyxl reads poorly); where LibreOffice is installed, it must convert the file without error.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from betahedge_xl import beta_hedge
from betahedge_xl.exceptions import InputError
from betahedge_xl.plan import build_plan
from betahedge_xl.report import write_report

SAMPLE = Path(__file__).resolve().parents[1] / "betahedge_xl" / "sample"


def _sample(ticker: str) -> pd.Series:
    frame = pd.read_csv(SAMPLE / f"{ticker}.csv", index_col=0, parse_dates=True)
    return frame["Adj Close"].rename(ticker)


@pytest.fixture(scope="module")
def result() -> Any:
    # prices handed in: no data layer, no network
    return beta_hedge(_sample("TSLA"), _sample("SPY"), "2014-01-01", "2015-01-01")


@pytest.fixture(scope="module")
def report(result: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(result, tmp_path_factory.mktemp("report") / "tsla.xlsx")


def test_worked_example_numbers(report: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    ws = openpyxl.load_workbook(report)["BetaHedge"]
    values = {ws.cell(r, 1).value: ws.cell(r, 2) for r in range(3, 40) if ws.cell(r, 1).value}
    tsla = _sample("TSLA")["2014-01-01":"2014-12-31"]
    spy = _sample("SPY")["2014-01-01":"2014-12-31"]
    y, x = tsla.pct_change().dropna().to_numpy(), spy.pct_change().dropna().to_numpy()
    beta, alpha = np.polyfit(x, y, 1)
    assert values["Beta"].value == pytest.approx(beta, rel=1e-9)
    assert values["Beta"].value == pytest.approx(1.954, abs=5e-4)
    assert values["Alpha (per period)"].value == pytest.approx(alpha, rel=1e-6)
    assert values["Observations"].value == 251
    assert values["First price date"].value.date().isoformat() == "2014-01-02"
    assert values["First price date"].number_format == "yyyy-mm-dd"
    assert values["Beta"].number_format == "0.000"
    assert values["Beta p-value"].number_format == '[<0.001]"<0.001";0.000'
    assert values["Beta p-value"].value == pytest.approx(4.2e-14, rel=0.1)  # exact in the cell
    assert values["Hedged beta"].number_format == "0.000;0.000"
    assert values["R-squared"].number_format == "0.0%"
    assert values["Beta t-stat"].number_format == "0.00"
    assert ws["A1"].value == "Beta hedge: TSLA on SPY"


def test_tables_and_names_follow_the_plan(result: Any, report: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    from openpyxl.utils import get_column_letter

    plan = build_plan(result)
    wb = openpyxl.load_workbook(report)
    assert wb.sheetnames == ["BetaHedge Report", plan.sheet]  # the page to forward first
    ws = wb[plan.sheet]
    for table in plan.tables:
        r, c = table.anchor
        assert ws.cell(r + 1, c + 1).value == table.title
        assert [ws.cell(table.header_row + 1, c + 1 + j).value
                for j in range(table.n_cols)] == table.header
        for j, fmt in table.number_format.items():
            assert ws.cell(table.first_data_row + 1, c + 1 + j).number_format == fmt
        last = table.rows[-1]
        for j, v in enumerate(last):
            got = ws.cell(table.last_row + 1, c + 1 + j).value
            if isinstance(v, float):
                assert got == pytest.approx(v, rel=1e-12)
            elif v is not None and not hasattr(v, "year"):
                assert got == v
    for name, (r0, c0, r1, c1) in plan.names.items():
        ref = (f"{plan.sheet}!${get_column_letter(c0 + 1)}${r0 + 1}:"
               f"${get_column_letter(c1 + 1)}${r1 + 1}")
        assert wb.defined_names[name].attr_text == ref
    # column widths are set for every table column
    for table in plan.tables:
        for j in range(table.n_cols):
            letter = get_column_letter(table.anchor[1] + 1 + j)
            assert ws.column_dimensions[letter].width >= 10
    # rolling beta: the first window-1 cells are empty (a gap in the chart, not a zero)
    rolling = plan.table("bh_rolling")
    col = rolling.anchor[1] + 2
    assert ws.cell(rolling.first_data_row + 1, col).value is None
    assert ws.cell(rolling.last_row + 1, col).value == pytest.approx(rolling.rows[-1][1])


def _charts(report: Path, front: bool = False) -> dict[str, str]:
    """Chart XML by the drawing object's name (``bh_chart_...``): the data sheet's, or with
    ``front`` the page to forward's (``bh_front_chart_...``)."""
    out: dict[str, str] = {}
    with zipfile.ZipFile(report) as z:
        for path in sorted(n for n in z.namelist() if re.fullmatch(
                r"xl/drawings/drawing\d+\.xml", n)):
            drawing = z.read(path).decode()
            rels = z.read(path.replace("drawings/", "drawings/_rels/") + ".rels").decode()
            targets = dict(re.findall(
                r'Id="(rId\d+)"[^>]*Target="\.\./charts/(chart\d+\.xml)"', rels))
            names = re.findall(r'<xdr:cNvPr id="\d+" name="([^"]+)"', drawing)
            ids = re.findall(r'<c:chart [^>]*r:id="(rId\d+)"', drawing)
            out.update({n: z.read(f"xl/charts/{targets[i]}").decode()
                        for n, i in zip(names, ids)
                        if n.startswith("bh_front_") == front})
    return out


def test_native_charts_reference_the_tables(result: Any, report: Path) -> None:
    from xlsxwriter.utility import xl_range_abs

    plan = build_plan(result)
    charts = _charts(report)
    assert set(charts) == {c.name for c in plan.charts}
    kinds = {"scatter": "<c:scatterChart>", "line": "<c:lineChart>"}
    for spec in plan.charts:
        xml = charts[spec.name]
        assert kinds[spec.kind] in xml
        assert spec.title in xml
        assert xml.count("<c:ser>") == len(spec.series)
        for s in spec.series:
            t = plan.table(s.table)
            for col in (s.x_col, s.y_col):
                r0, c, r1, _ = t.data_range(col)
                assert f"{plan.sheet}!{xl_range_abs(r0, c, r1, c)}" in xml
            assert s.name in xml
    scatter = charts["bh_chart_scatter"]
    # Both series come from the returns table: x the benchmark, y the asset (points without a
    # line) and the fitted column (a line without markers; its points all lie on alpha + beta x,
    # so joined in date order they draw the regression segment).
    returns = plan.table("bh_returns")
    def ref(col: str) -> str:
        return f"{plan.sheet}!{xl_range_abs(*returns.data_range(col))}"

    points, line = re.findall(r"<c:ser>.*?</c:ser>", scatter, re.S)
    for ser, col in ((points, "TSLA"), (line, "Fitted")):
        assert re.findall(r"<c:f>([^<]+)</c:f>", ser) == [ref("SPY"), ref(col)]
    assert "<a:ln><a:noFill/></a:ln>" in points and '<c:symbol val="circle"/>' in points
    assert "<a:noFill/>" not in line.split("<c:marker>")[0] and '<c:symbol val="none"/>' in line
    assert "C00000" in line  # FIT_LINE
    assert '<c:dateAx>' in charts["bh_chart_cumulative"]


def test_freeze_panes_keep_the_headers(report: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    ws = openpyxl.load_workbook(report)["BetaHedge"]
    assert ws.freeze_panes == "A3"


def test_report_refuses_bad_paths(result: Any, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="should end in .xlsx"):
        write_report(result, tmp_path / "r.xls")
    with pytest.raises(InputError, match="does not exist"):
        write_report(result, tmp_path / "missing" / "r.xlsx")
    with pytest.raises(InputError, match="give a result or a plan"):
        write_report(None, tmp_path / "r.xlsx")


def test_multi_benchmark_report(tmp_path: Path) -> None:
    benchmarks = pd.concat([_sample("SPY"), _sample("XLK")], axis=1)
    res = beta_hedge(_sample("AAPL"), benchmarks, "2014-01-01", "2015-01-01",
                     frequency="weekly")
    out = write_report(res, tmp_path / "multi.xlsx")
    charts = _charts(out)
    # per benchmark: its rolling beta, the full-sample line and the +/-2 SE band
    assert charts["bh_chart_rolling"].count("<c:ser>") == 8
    assert charts["bh_chart_rolling"].count('<a:prstDash val="dash"/>') == 2
    assert charts["bh_chart_cumulative"].count("<c:ser>") == 4
    # one partial-regression scatter per benchmark
    assert {n for n in charts if "scatter" in n} == {"bh_chart_scatter_SPY",
                                                      "bh_chart_scatter_XLK"}
    assert "AAPL on XLK net of SPY" in charts["bh_chart_scatter_XLK"]


def test_pngs(result: Any, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from betahedge_xl.charts_png import write_pngs

    files = write_pngs(result, tmp_path / "png" / "deep")
    assert [f.name for f in files] == [c.name + ".png" for c in build_plan(result).charts]
    for f in files:
        assert f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f.stat().st_size > 10_000


def test_png_scatter_draws_the_points_and_the_fitted_line(result: Any) -> None:
    pytest.importorskip("matplotlib")
    from betahedge_xl import charts_png

    plan = build_plan(result)
    chart = next(c for c in plan.charts if c.kind == "scatter")
    plt = charts_png._pyplot()
    fig = charts_png._draw(plt, plan, chart)
    try:
        (ax,) = fig.axes
        (points,) = ax.collections
        (line,) = [ln for ln in ax.get_lines() if ln.get_label() == chart.series[1].name]
        x, y = result.returns["SPY"].to_numpy(), result.returns["TSLA"].to_numpy()
        np.testing.assert_array_equal(points.get_offsets(), np.column_stack([x, y]))
        # the returns table's Fitted column against SPY, one stroke from left to right
        lx, ly = (np.asarray(v, dtype=float) for v in line.get_data())
        np.testing.assert_array_equal(lx, np.sort(x))
        np.testing.assert_allclose(ly, result.alpha + result.beta * lx, rtol=0, atol=1e-12)
    finally:
        plt.close(fig)


def test_png_without_matplotlib_says_what_to_install(tmp_path: Path) -> None:
    code = (
        "import sys\nsys.modules['matplotlib'] = None\n"
        "from betahedge_xl.charts_png import write_pngs, MissingDependencyError\n"
        "try:\n    write_pngs(None, 'x')\nexcept MissingDependencyError as e:\n"
        "    print(e, e.exit_code)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path)
    assert "-m pip install matplotlib" in proc.stdout, proc.stderr
    assert "betahedge-xl[png]" not in proc.stdout  # no such extra: matplotlib is a dependency
    assert not (tmp_path / "x").exists()


def test_matplotlib_is_a_dependency_of_a_plain_install() -> None:
    from importlib.metadata import requires

    plain = [r for r in requires("betahedge-xl") or [] if "extra ==" not in r]
    assert any(r.startswith("matplotlib") for r in plain), plain


def test_charts_module_imports_no_matplotlib() -> None:
    code = ("import sys, betahedge_xl.charts_png, betahedge_xl.report, betahedge_xl.cli\n"
            "print('matplotlib' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout.strip() == "False", proc.stderr


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_libreoffice_converts_the_report(report: Path, tmp_path: Path) -> None:
    from libreoffice import to_pdf

    proc, pdf = to_pdf(report, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Error" not in proc.stderr, proc.stderr
    assert pdf.is_file() and pdf.read_bytes()[:5] == b"%PDF-"
    # landscape pages: the page to forward, then the data sheet at a legible scale
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf.read_bytes())
    assert boxes and all(float(w) > float(h) for w, h in boxes)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes())) > 2


def test_png_rolling_and_growth_charts_match_the_plan(result: Any,
                                                      seven_fold: Any) -> None:
    pytest.importorskip("matplotlib")
    from betahedge_xl import charts_png

    plan = build_plan(result)
    plt = charts_png._pyplot()
    rolling = next(c for c in plan.charts if c.name == "bh_chart_rolling")
    fig = charts_png._draw(plt, plan, rolling)
    try:
        (ax,) = fig.axes
        lines = ax.get_lines()
        assert [ln.get_label() for ln in lines] == [s.name for s in rolling.series]
        assert [ln.get_linestyle() for ln in lines] == ["-", "--", "-", "-"]
        assert ax.get_title() == rolling.title
        table = plan.table("bh_rolling")
        for ln, s in zip(lines, rolling.series):
            j = table.header.index(s.y_col)
            want = np.array([np.nan if r[j] is None else r[j] for r in table.rows], dtype=float)
            np.testing.assert_array_equal(np.asarray(ln.get_ydata(), dtype=float), want)
    finally:
        plt.close(fig)
    # a 7-fold line: the same log axis as the workbook, said on the axis
    big = build_plan(seven_fold)
    growth = next(c for c in big.charts if c.name == "bh_chart_cumulative")
    fig = charts_png._draw(plt, big, growth)
    try:
        (ax,) = fig.axes
        assert ax.get_yscale() == "log" and ax.get_ylabel() == "growth of 1, log scale"
        assert ax.get_lines()[-1].get_label().startswith("hedged: UP - ")
    finally:
        plt.close(fig)


def test_book_report_shows_positions_and_the_hedge(tmp_path: Path) -> None:
    """A 130/30 book hedged with ES: the positions table (each holding's own regression) and
    the hedge rows, as the command line shows them, with money formatted as money."""
    openpyxl = pytest.importorskip("openpyxl")
    prices = pd.concat([_sample("AAPL"), _sample("MSFT")], axis=1)
    res = beta_hedge(prices, _sample("SPY"), "2014-01-01", "2015-01-01", weights=[1.3, -0.3],
                     capital=5_000_000).with_hedge("ES", 5900.0)
    path = write_report(res, tmp_path / "book.xlsx")
    ws = openpyxl.load_workbook(path)["BetaHedge"]
    values = {ws.cell(r, 1).value: ws.cell(r, 2) for r in range(3, 80) if ws.cell(r, 1).value}
    frame = pd.concat([_sample("AAPL"), _sample("MSFT"), _sample("SPY")], axis=1, join="inner")
    r = frame["2014-01-01":"2014-12-31"].pct_change().dropna()
    b = {t: np.polyfit(r["SPY"], r[t], 1)[0] for t in ("AAPL", "MSFT")}
    book_beta = 1.3 * b["AAPL"] - 0.3 * b["MSFT"]
    assert values["Beta"].value == pytest.approx(book_beta, rel=1e-9)
    exact = book_beta * 5e6 / (5900 * 50)
    assert values["Contracts to sell"].value == round(exact)
    assert values["Dollar beta (beta x capital)"].value == pytest.approx(book_beta * 5e6)
    assert values["Dollar beta (beta x capital)"].number_format == "#,##0.00"
    assert values["Residual beta to ES after rounding"].value == pytest.approx(
        book_beta - round(exact) * 5900 * 50 / 5e6, rel=1e-9)
    # the positions table: found by its title, then header and one row per holding
    at = next((row, col) for row in range(1, 5) for col in range(1, 60)
              if str(ws.cell(row, col).value or "").startswith("Positions"))
    header = [ws.cell(at[0] + 1, at[1] + j).value for j in range(4)]
    assert header == ["Ticker", "Weight", "Beta", "Contribution"]
    rows = {ws.cell(at[0] + 2 + i, at[1]).value: [ws.cell(at[0] + 2 + i, at[1] + j).value
                                                  for j in range(1, 4)] for i in range(2)}
    assert rows["AAPL"] == pytest.approx([1.3, b["AAPL"], 1.3 * b["AAPL"]], rel=1e-9)
    assert rows["MSFT"] == pytest.approx([-0.3, b["MSFT"], -0.3 * b["MSFT"]], rel=1e-9)
