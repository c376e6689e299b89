"""The data-quality report, against counts made independently by hand-written loops."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from betahedge_xl.data import assess
from betahedge_xl.data.quality import TickerQuality


def _nyse(start: str = "2019-01-01", end: str = "2024-12-31") -> np.busdaycalendar:
    """New York's trading days, asked of exchange_calendars directly (the tickers here have no
    suffix: New York)."""
    import exchange_calendars as xcals

    sessions = set(xcals.get_calendar("XNYS", start=start, end=end).sessions)
    closed = [d for d in pd.bdate_range(start, end) if d not in sessions]
    return np.busdaycalendar(holidays=np.array(closed, dtype="datetime64[D]"))


def hand_counts(s: pd.Series) -> dict[str, int]:
    """Counts by a plain walk over calendar days (independent of the numpy implementation),
    on New York's trading days."""
    import exchange_calendars as xcals

    nyse = set(xcals.get_calendar("XNYS", start="2019-01-01", end="2024-12-31").sessions)
    v = s[s > 0]
    days = pd.date_range(v.index[0], v.index[-1], freq="D")
    have = set(v.index)
    missing, gaps, run = 0, 0, 0
    for d in days:
        if d in nyse and d not in have:
            missing += 1
            run += 1
        elif d in have:
            gaps += run >= 2
            run = 0
    repeated = sum(1 for x, y in zip(v.to_numpy()[:-1], v.to_numpy()[1:]) if x == y)
    return {"missing": missing, "gaps": gaps, "repeated": repeated}


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    idx = pd.bdate_range("2022-01-03", "2022-12-30")
    df = pd.DataFrame({"A": 100 * np.cumprod(1 + rng.normal(0, 0.01, len(idx))),
                       "B": 50 * np.cumprod(1 + rng.normal(0, 0.01, len(idx)))}, index=idx)
    df = df.drop(pd.to_datetime(["2022-01-17", "2022-07-04"]))  # New York's holidays
    df.loc["2022-03-07":"2022-03-10", "A"] = np.nan  # a 4-day gap in A
    df.loc["2022-05-02":"2022-05-06", "B"] = 42.0  # B stale for a week
    df.loc["2022-09-01", "B"] = 0.0
    df.loc["2022-09-02", "B"] = -1.0
    return df


def test_counts_match_hand_counts(frame: pd.DataFrame) -> None:
    rep = assess(frame, "2022-01-01", "2023-01-01")
    for t in ("A", "B"):
        q, want = rep.tickers[t], hand_counts(frame[t])
        assert (q.missing_weekdays, len(q.gaps), q.repeated) == (
            want["missing"], want["gaps"], want["repeated"])
    a, b = rep.tickers["A"], rep.tickers["B"]
    assert a.gaps[0].first == pd.Timestamp("2022-03-07") and a.gaps[0].weekdays == 4
    assert b.nonpositive == 2 and b.longest_repeat == 4
    assert b.longest_repeat_from == pd.Timestamp("2022-05-02")
    valid = frame.gt(0)
    assert rep.rows == int(valid.any(axis=1).sum())
    assert rep.aligned_rows == int(valid.all(axis=1).sum())
    # A lacks its 4 gap days, B its 2 non-positive days; each loses the other's
    assert a.absent == 4 and b.absent == 2
    assert a.dropped_by_alignment == 2 and b.dropped_by_alignment == 4
    assert rep.dropped_rows == 6
    assert rep.messages() == [
        "A: 1 gap(s) of 2+ trading days without prices (longest 4, 2022-03-07..2022-03-10)",
        "B: 2 zero or negative price(s) removed",
        "B: 1 gap(s) of 2+ trading days without prices (longest 2, 2022-09-01..2022-09-02)",
        "B: same price 5 days in a row from 2022-05-02 (stale?)",
        f"alignment drops 6 of {rep.rows} dates (missing: A 4, B 2)",
    ]
    json.dumps(rep.to_dict())  # JSON-ready


def test_short_window_reported(frame: pd.DataFrame) -> None:
    rep = assess(frame.loc["2022-03-01":"2022-10-31"], "2022-01-01", "2023-01-01")
    msgs = rep.messages()
    nyse = _nyse()
    late = np.busday_count("2022-01-01", "2022-03-01", busdaycal=nyse)
    early = np.busday_count("2022-11-01", "2023-01-01", busdaycal=nyse)
    assert (late, early) == (39, 42)  # weekdays 41 and 44, less 2022-01-17, 02-21, 11-24, 12-26
    assert (f"A: prices start 2022-03-01, {late} trading days after the window start "
            f"2022-01-01") in msgs
    assert (f"A: prices end 2022-10-31, {early} trading days before the window end "
            f"2023-01-01") in msgs


def test_clean_prices_have_no_messages() -> None:
    idx = pd.bdate_range("2022-01-03", "2022-01-31")
    rep = assess(pd.DataFrame({"A": np.arange(100.0, len(idx) + 100)}, index=idx), "2022-01-01",
                 "2022-02-01")
    assert rep.messages() == [] and rep.clean and rep.dropped_rows == 0
    assert assess(pd.Series([np.nan], index=idx[:1], name="Z")).messages() == [
        "Z: no prices in first..today"]


def _loop_quality(col: pd.Series, start: pd.Timestamp | None, end: pd.Timestamp | None,
                  today: np.datetime64) -> dict[str, object]:
    """The per-ticker walk over rows that ``assess`` used before it was vectorised: the
    reference the vectorised counts must equal, field for field. Trading days are New York's,
    or every day for a column with prices on two weekend days or more (a coin)."""
    values = col.to_numpy(dtype=float)
    on_weekend = sum(1 for d, v in zip(col.index, values) if v > 0 and d.weekday() >= 5)
    cal = np.busdaycalendar(weekmask="1111111") if on_weekend >= 2 else _nyse()
    nonpositive = int(np.sum(values <= 0))
    keep = values > 0
    dates = col.index.to_numpy()[keep].astype("datetime64[D]")
    prices = values[keep]
    if len(dates) == 0:
        return {"rows": 0, "nonpositive": nonpositive}
    first, last = dates[0], dates[-1]
    missing = int(np.busday_count(first, last + 1, busdaycal=cal)) - int(np.sum(np.is_busday(dates, busdaycal=cal)))
    between = np.busday_count(dates[:-1] + 1, dates[1:], busdaycal=cal) if len(dates) > 1 else []
    gaps = [(pd.Timestamp(np.busday_offset(dates[i] + 1, 0, roll="forward", busdaycal=cal)),
             pd.Timestamp(np.busday_offset(dates[i + 1] - 1, 0, roll="backward", busdaycal=cal)), int(n))
            for i, n in enumerate(between) if n >= 2]
    same = prices[1:] == prices[:-1]
    longest, longest_from, run = 0, None, 0
    for i, s in enumerate(same):
        run = run + 1 if s else 0
        if run > longest:
            longest, longest_from = run, pd.Timestamp(dates[i + 1 - run])
    late = int(np.busday_count(np.datetime64(start.date()), first, busdaycal=cal)) if start is not None else 0
    end_ref = today if end is None else min(np.datetime64(end.date()), today)
    early = max(int(np.busday_count(last + 1, end_ref, busdaycal=cal)), 0) if end_ref > last else 0
    return {"rows": len(dates), "first": pd.Timestamp(first), "last": pd.Timestamp(last),
            "nonpositive": nonpositive, "missing": missing, "gaps": gaps,
            "repeated": int(same.sum()), "longest": longest, "longest_from": longest_from,
            "late": max(late, 0), "early": early}


def _counts(q: TickerQuality) -> dict[str, object]:
    """A ticker's counts in the row walk's terms."""
    return {"rows": q.rows, "first": q.first, "last": q.last, "nonpositive": q.nonpositive,
            "missing": q.missing_weekdays,
            "gaps": [(g.first, g.last, g.weekdays) for g in q.gaps],
            "repeated": q.repeated, "longest": q.longest_repeat,
            "longest_from": q.longest_repeat_from, "late": q.late_start, "early": q.early_end}


@pytest.mark.parametrize("seed", range(8))
def test_vectorised_counts_equal_the_row_walk(seed: int) -> None:
    """Ragged panels with NaN, zero and negative prices, stale runs across missing days,
    weekend rows, empty columns: every count equals the per-ticker walk over rows."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2021-01-01", periods=400, freq="D")  # weekends included
    idx = idx[rng.random(len(idx)) < 0.8]
    m = 8
    data = np.round(rng.normal(10, 1, (len(idx), m)), 0)  # rounding makes repeats
    if seed < 3:  # holes everywhere; else only where set below (the path for whole columns)
        data[rng.random(data.shape) < 0.15] = np.nan
        data[rng.random(data.shape) < 0.01] = 0.0
        data[rng.random(data.shape) < 0.01] = -1.0
    else:
        data[200, 5] = 0.0
    data[: rng.integers(0, 120), 1] = np.nan  # lists late
    data[len(idx) - rng.integers(1, 90):, 2] = np.nan  # ends early
    data[:, 3] = np.nan  # never any price
    data[100:130, 4] = 7.0  # a long stale run ...
    data[110:113, 4] = np.nan  # ... across missing days
    data[:, m - 1] = np.nan  # the last column empty too
    frame = pd.DataFrame(data, index=idx, columns=[f"T{j}" for j in range(m)])
    start, end = (pd.Timestamp("2021-02-01"), pd.Timestamp("2021-12-01")) if seed % 2 else \
        (None, None)
    report = assess(frame, start, end)
    window = frame.loc[(frame.index >= (start or idx[0])) & (frame.index < (end or idx[-1] +
                                                                             pd.Timedelta(1, "D")))]
    today = np.datetime64(pd.Timestamp.now().date())
    for t in frame.columns:
        q, want = report.tickers[t], _loop_quality(window[t], start, end, today)
        assert q.rows == want["rows"] and q.nonpositive == want["nonpositive"]
        if not q.rows:
            assert q.first is None and q.gaps == ()
            continue
        assert _counts(q) == want, t
    valid = window.gt(0)
    assert report.rows == int(valid.any(axis=1).sum())
    assert report.aligned_rows == int(valid.all(axis=1).sum())
    for t in frame.columns:
        assert report.tickers[t].absent == int((~valid[t] & valid.any(axis=1)).sum())
        assert report.tickers[t].dropped_by_alignment == int(
            (valid[t] & ~valid.all(axis=1)).sum())


def test_window_bounds_on_price_dates(frame: pd.DataFrame) -> None:
    """Start on a price date is in, end on a price date is out, for dates in order (one
    slice) and out of order (a mask) alike."""
    start, end = frame.index[10], frame.index[60]
    want = int(((frame.index >= start) & (frame.index < end)).sum())
    assert want == 50
    sorted_rep = assess(frame, start, end)
    shuffled = frame.iloc[np.random.default_rng(3).permutation(len(frame))]
    shuffled_rep = assess(shuffled, start, end)
    assert sorted_rep.rows == shuffled_rep.rows == want
    assert sorted_rep.tickers["B"].first == start
    assert sorted_rep.tickers["B"].last == frame.index[59]
    assert assess(frame, None, end).rows == 60
    assert assess(frame, start, None).rows == len(frame) - 10


@pytest.mark.parametrize("repeats", [True, False])
def test_complete_panels_equal_the_row_walk(repeats: bool) -> None:
    """Every price there and positive (the path that skips the hole counts), with and without
    repeated prices: the counts still equal the per-ticker walk over rows."""
    rng = np.random.default_rng(11)
    idx = pd.bdate_range("2021-01-01", periods=300)
    idx = idx.delete([40, 41, 42, 120])  # the index's own gaps: every ticker has them
    data = rng.normal(10, 1, (len(idx), 4))
    if repeats:
        data = np.round(data, 0)
        data[50:58, 2] = 9.0
    else:
        data = np.abs(data) + 1.0
    frame = pd.DataFrame(data, index=idx, columns=["A", "B", "C", "D"])
    start, end = pd.Timestamp("2020-12-20"), pd.Timestamp("2022-01-01")
    report = assess(frame, start, end)
    window = frame.loc[(frame.index >= start) & (frame.index < end)]
    today = np.datetime64(pd.Timestamp.now().date())
    for t in frame.columns:
        q, want = report.tickers[t], _loop_quality(window[t], start, end, today)
        assert _counts(q) == want, t
        assert q.absent == 0 and q.dropped_by_alignment == 0
    assert report.rows == report.aligned_rows == len(window)
    assert (report.tickers["C"].longest_repeat >= 7) == repeats


def test_no_row_in_the_window_says_no_prices() -> None:
    """A window holding no row: every ticker has no prices (it raised argmax of an empty
    sequence)."""
    frame = pd.DataFrame({"A": [10.0, 11.0], "B": [5.0, np.nan]},
                         index=pd.to_datetime(["2020-01-02", "2020-01-03"]))
    report = assess(frame, "2021-01-01", "2021-02-01")
    assert report.messages() == ["A: no prices in 2021-01-01..2021-02-01",
                                 "B: no prices in 2021-01-01..2021-02-01"]
    assert report.rows == report.aligned_rows == 0
