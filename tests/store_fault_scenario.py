"""A store on a full disk or a read-only folder, run in a process of its own.

Run by ``tests/test_data_store.py`` as ``python store_fault_scenario.py MODE MOUNT WORK``, under
``unshare --mount`` as root: MOUNT becomes a small tmpfs private to that process (it vanishes
with it), holding the store; WORK is an ordinary folder for yfinance's caches and the CSVs.
MODE ``full`` fills the tmpfs, ``ro`` remounts it read-only (which stops root too, unlike
chmod). Then, with Yahoo replayed by the fake transport of ``test_data_yahoo``:

1. ``load_prices`` of a window the store has never seen (so it fetches and tries to store);
2. ``betahedge cache import`` of a folder into the same store;
3. the store reopened in a fresh process (disk freed or folder writable again) to check
   that nothing was half-written.

Prints one JSON object with what each step gave.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

START, END = "2020-01-01", "2020-03-01"


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


def main() -> None:
    mode, mount, work = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)], check=True)
    cache = mount / "cache"
    os.environ["BETAHEDGE_CACHE_DIR"] = str(cache)
    os.environ.pop("BETAHEDGE_DATA_DIR", None)
    import numpy as np
    import pandas as pd

    from betahedge_xl.data import load_prices, yahoo
    from betahedge_xl.data.store import PriceStore, close_stores, to_day
    from test_data_yahoo import FakeYahooSession, _reset_yfinance

    # what the store held before the fault: one ticker, on another window
    st = PriceStore(cache / "prices.sqlite")
    old = pd.Series(np.linspace(10, 20, 30), index=pd.bdate_range("2019-01-01", periods=30))
    st.write("OLD", old, (to_day(old.index[0]), to_day(old.index[-1]) + 1), "test",
             pd.Timestamp("2024-01-01", tz="UTC"))
    st.close()
    before = digest(cache)

    filler = mount / "filler"
    if mode == "full":
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError:
            pass
        finally:
            os.close(fd)
    else:
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)

    _reset_yfinance(work / "yf")
    session = FakeYahooSession()
    yahoo.session_factory = lambda: session
    out: dict[str, object] = {"mode": mode}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            ps = load_prices(["AAA", "BBB"], START, END)
            out["prices"] = {t: [[f"{d:%Y-%m-%d}", v] for d, v in ps.prices[t].dropna().items()]
                             for t in ps.tickers}
            out["source"] = ps.source
            # the fetched prices are served again in this process, without asking Yahoo
            n = len(session.chart_calls())
            from betahedge_xl.data import clear_memory

            clear_memory()
            again = load_prices(["AAA", "BBB"], START, END)
            out["again_equal"] = bool(again.prices.equals(ps.prices))
            out["again_calls"] = len(session.chart_calls()) - n
            out["old_served"] = len(load_prices("OLD", "2019-01-01", "2019-03-01").prices)
        except Exception as exc:  # noqa: BLE001 - reported to the test
            out["error"] = f"{type(exc).__name__}: {exc}"
    out["warnings"] = [f"{w.category.__name__}: {w.message}" for w in caught]
    close_stores()

    csv_dir = work / "csv"
    csv_dir.mkdir(exist_ok=True)
    new = pd.Series(np.linspace(5, 6, 40), index=pd.bdate_range("2018-01-01", periods=40))
    pd.DataFrame({"Date": new.index.strftime("%Y-%m-%d"), "Close": new.values}).to_csv(
        csv_dir / "NEW.csv", index=False)
    cli = subprocess.run([sys.executable, "-m", "betahedge_xl.cli", "cache", "import", "-q",
                          str(csv_dir)], capture_output=True, text=True)
    out["import"] = {"rc": cli.returncode, "stdout": cli.stdout, "stderr": cli.stderr}

    # the fault goes away; a fresh process finds the store as it was before it
    if mode == "full":
        filler.unlink()
    else:
        subprocess.run(["mount", "-o", "remount,rw", str(mount)], check=True)
    after = digest(cache)
    # SQLite may leave its -shm and an empty -wal behind: no committed change in them
    out["unchanged"] = after.get("prices.sqlite") == before["prices.sqlite"]
    out["wal_bytes"] = (cache / "prices.sqlite-wal").stat().st_size \
        if (cache / "prices.sqlite-wal").exists() else 0
    check = subprocess.run(
        [sys.executable, "-c",
         "import sys, json, sqlite3; from betahedge_xl.data.store import PriceStore; "
         "s = PriceStore(sys.argv[1]); r = s.read(['OLD', 'AAA', 'NEW']); "
         "print(json.dumps({t: v.round(9).tolist() for t, v in r.items()})); "
         "print(sqlite3.connect(sys.argv[1]).execute('PRAGMA quick_check').fetchone()[0])",
         str(cache / "prices.sqlite")],
        capture_output=True, text=True)
    out["after"] = {"stdout": check.stdout, "stderr": check.stderr}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
