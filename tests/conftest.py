"""Shared test fixtures. Append yours below; keep each one small and documented."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest


# --- data (issue 3): no network, an isolated store, no shared folder ------------------------
@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any real connection fails: Python sockets, and libcurl under curl_cffi (yfinance's
    transport does not go through Python's socket module)."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise RuntimeError("tests must not use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    try:
        from curl_cffi.curl import Curl
    except ImportError:  # pragma: no cover - curl_cffi comes with yfinance
        return
    monkeypatch.setattr(Curl, "perform", refuse)


@pytest.fixture(autouse=True)
def _isolated_price_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The price store lives in tmp_path, no CSV folder is set, and nothing is remembered
    between tests (memo, open stores)."""
    monkeypatch.setenv("BETAHEDGE_CACHE_DIR", str(tmp_path / "betahedge-cache"))
    monkeypatch.delenv("BETAHEDGE_DATA_DIR", raising=False)
    from betahedge_xl.data import clear_memory
    from betahedge_xl.data.store import close_stores

    clear_memory()
    yield tmp_path / "betahedge-cache"
    clear_memory()
    close_stores()


# --- exchange calendars (issue 19): their holidays kept in a folder of the test session ------
@pytest.fixture(autouse=True, scope="session")
def _calendar_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The holidays built from exchange_calendars are kept in a folder of this session, not in
    the user's cache folder."""
    import os

    folder = tmp_path_factory.mktemp("calendars")
    before = os.environ.get("BETAHEDGE_CALENDAR_DIR")
    os.environ["BETAHEDGE_CALENDAR_DIR"] = str(folder)
    yield folder
    if before is None:
        os.environ.pop("BETAHEDGE_CALENDAR_DIR", None)
    else:
        os.environ["BETAHEDGE_CALENDAR_DIR"] = before


# --- hypothesis: the same examples on every CI run (a failure there is reproducible) --------
def _hypothesis_profiles() -> None:
    import os

    from hypothesis import settings

    settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
    if os.environ.get("CI"):
        settings.load_profile("ci")


_hypothesis_profiles()


# --- a result whose asset grows about 7-fold while the benchmark barely moves ---------------
@pytest.fixture(scope="session")
def seven_fold() -> object:
    """UP on IDX over 1000 business days: the growth-of-1 chart needs its log axis."""
    import numpy as np
    import pandas as pd

    import betahedge_xl as bh

    idx = pd.bdate_range("2015-01-01", periods=1000)
    rng = np.random.default_rng(3)
    x = rng.normal(0.0002, 0.01, 1000)
    y = 0.0019 + 1.1 * x + rng.normal(0, 0.01, 1000)
    return bh.beta_hedge(pd.Series(10 * np.cumprod(1 + y), idx, name="UP"),
                         pd.Series(100 * np.cumprod(1 + x), idx, name="IDX"))
