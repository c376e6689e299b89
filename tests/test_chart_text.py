"""Text from user data reaches the report's cells and charts as literal text.

A Series' name or a CSV header that looks like a reference (``+cmd|' /C calc'!A0``) was written
by xlsxwriter as a chart formula; a control character made the drawing's XML invalid (openpyxl
could not open the file).
"""

from __future__ import annotations

import re
import shutil
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import betahedge_xl as bh
from betahedge_xl.exceptions import DataWarning
from betahedge_xl.report import write_report

EVIL = "+cmd|' /C calc'!A0"
#: XML 1.0 forbids these; a part holding one does not parse.
FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(4)
    days = pd.bdate_range("2020-01-01", periods=160)
    rs = rng.normal(0, 0.01, len(days))
    ra = 1.3 * rs + rng.normal(0, 0.01, len(days))
    a = pd.Series(50 * np.cumprod(1 + ra), days, name=EVIL)
    b = pd.Series(300 * np.cumprod(1 + rs), days, name="SP\x01Y\x1b[0m")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        res = bh.beta_hedge(a, b, rolling_window=40)
    return write_report(res, tmp_path_factory.mktemp("evil") / "evil.xlsx")


def parts(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml")}


def test_no_user_text_becomes_a_chart_reference(report: Path) -> None:
    xml = parts(report)
    charts = {n: x for n, x in xml.items() if n.startswith("xl/charts/")}
    assert charts
    formulas = [f for x in charts.values() for f in re.findall(r"<c:f>(.*?)</c:f>", x)]
    # Every reference is one of the sheet's own ranges; the name is nowhere among them.
    assert formulas and all(re.fullmatch(r"BetaHedge!\$[A-Z]+\$\d+(:\$[A-Z]+\$\d+)?", f)
                            for f in formulas), formulas
    # The name is shown as it was given (a word joiner, invisible, keeps it literal).
    shown = " ".join(charts.values()).replace("\u2060", "").replace("&apos;", "'")
    assert EVIL in shown


def test_no_control_character_reaches_the_file(report: Path) -> None:
    for name, x in parts(report).items():
        assert not FORBIDDEN.search(x), name
    import openpyxl

    wb = openpyxl.load_workbook(report)
    headers = [c.value for row in wb["BetaHedge"].iter_rows() for c in row
               if isinstance(c.value, str) and "SP" in c.value and "Y" in c.value]
    assert "SPY[0m" in headers  # the escape character removed, the rest kept


def test_chart_text_rules() -> None:
    from betahedge_xl.plan import chart_text

    assert chart_text(EVIL) != EVIL and chart_text(EVIL).replace("\u2060", "") == EVIL
    assert chart_text("=Sheet1!$A$1") .replace("\u2060", "") == "=Sheet1!$A$1"
    assert not re.match(r"^=?[^!]+!\$?[A-Z]+\$?\d+", chart_text("=Sheet1!$A$1"))
    assert chart_text("TSLA on SPY!") == "TSLA on SPY!"  # nothing to change
    assert chart_text("a\tb\nc\x07d") == "a b cd"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_libreoffice_opens_it(report: Path, tmp_path: Path) -> None:
    from libreoffice import to_pdf

    proc, pdf = to_pdf(report, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert pdf.is_file() and pdf.read_bytes()[:5] == b"%PDF-"
