"""The module the BetaHedge workbook and ribbon add-in run.

xlwings' quickstart macros (``SampleCall`` in ``betahedge.xlsm``, ``RunMain`` behind the
ribbon button of ``betahedge.xlam``) run ``import betahedge; betahedge.main()``: the module is
named by the Excel file. This module only forwards to :func:`betahedge_xl.excel.main`.
"""

from __future__ import annotations

from betahedge_xl.excel import main

__all__ = ["main"]
