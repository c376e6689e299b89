"""``betahedge cache show | import DIR [--replace] | clear``: the local price store."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..exceptions import InputError
from .console import _Console, _csv_text, _global_options, _Parser, _warnings_to

if TYPE_CHECKING:
    import pandas as pd


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add the ``cache`` command and its actions to the ``betahedge`` subparsers."""
    p = sub.add_parser("cache", help="the local price store: show, import, clear",
                       description="The local store keeps prices once fetched, so that later "
                                   "requests are served offline.")
    csub = p.add_subparsers(dest="cache_command", metavar="ACTION", parser_class=_Parser)
    csub.required = True
    q = csub.add_parser("show", help="tickers, date ranges and age of the stored prices")
    q.add_argument("--format", default="table", choices=["table", "json", "csv"])
    q.set_defaults(func=cmd_cache_show)
    q = csub.add_parser("import", help="store every <TICKER>.csv of a folder",
                        description="Store the prices of every <TICKER>.csv in DIR (columns "
                                    "Date and Adj Close or Close), so later requests for them "
                                    "need no network. Each file is merged into what is stored "
                                    "of its ticker (stored prices on another adjustment basis "
                                    "are rescaled, never dropped); each line says what was "
                                    "added, replaced or rescaled.")
    q.add_argument("dir", metavar="DIR")
    q.add_argument("--replace", action="store_true",
                   help="discard the stored history of each imported ticker instead of "
                        "merging the file into it")
    q.set_defaults(func=cmd_cache_import)
    q = csub.add_parser("clear", help="delete every stored price")
    q.set_defaults(func=cmd_cache_clear)
    for parser in csub.choices.values():  # the command itself gets them in build_parser
        _global_options(parser)
    return p


def _cache_frame(console: _Console) -> pd.DataFrame:
    from ..data import store_summary

    with _warnings_to(console, False):
        return store_summary()


def cmd_cache_show(args: argparse.Namespace, console: _Console) -> int:
    """``betahedge cache show``: what the local store holds."""
    import pandas as pd

    from ..data import store_path

    frame = _cache_frame(console)
    now = pd.Timestamp.now(tz="UTC").tz_localize(None)
    fetched = pd.to_datetime(frame["fetched_at"], utc=True).dt.tz_localize(None) \
        if len(frame) else pd.Series([], dtype="datetime64[ns]")
    frame["age_days"] = ((now - fetched).dt.total_seconds() / 86400).round(1) \
        if len(frame) else pd.Series([], dtype=float)
    if args.format == "json":
        records = [{
            "ticker": r.ticker,
            "first": f"{r.first:%Y-%m-%d}",
            "last": f"{r.last:%Y-%m-%d}",
            "rows": int(r.rows),
            "fetched_at": None if pd.isna(r.fetched_at) else pd.Timestamp(r.fetched_at).isoformat(),
            "age_days": None if pd.isna(r.age_days) else float(r.age_days),
            "source": r.source,
        } for r in frame.itertuples(index=False)]
        console.data(json.dumps({"store": str(store_path()), "tickers": records}, indent=2))
    elif args.format == "csv":
        console.data(_csv_text(frame))
    else:
        console.progress(f"Store: {store_path()}")
        if frame.empty:
            console.data("The store is empty.")
            return 0
        lines = [f"{'ticker':<10} {'first':<10} {'last':<10} {'rows':>7}  {'age':>9}  source"]
        for r in frame.itertuples(index=False):
            age = "" if pd.isna(r.age_days) else f"{r.age_days:.1f} d"
            lines.append(f"{r.ticker:<10} {r.first:%Y-%m-%d} {r.last:%Y-%m-%d} "
                         f"{int(r.rows):>7}  {age:>9}  {r.source}")
        console.data("\n".join(lines))
    return 0


def cmd_cache_import(args: argparse.Namespace, console: _Console) -> int:
    """``betahedge cache import DIR``: store every CSV of a folder, saying what each file gave.

    A file that cannot be read is skipped (its line says why) and the import goes on; the exit
    status is then that of a data error, so a script sees that not everything was stored.
    """
    from ..data import import_csv_dir, store_path
    from ..data.store import ImportedFile
    from ..exceptions import DataError

    folder = Path(args.dir).expanduser()
    if not folder.is_dir():
        raise InputError(f"cache import: folder {folder} not found")
    console.progress(f"Importing the CSV files of {folder} into {store_path()}")
    done: list[ImportedFile] = []

    def report(item: ImportedFile) -> None:
        done.append(item)
        console.data(str(item))

    with _warnings_to(console, args.debug):
        import_csv_dir(folder, on_file=report, replace=args.replace)
    if not done:
        raise InputError(f"cache import: no <TICKER>.csv files in {folder}")
    stored = [d for d in done if d.skipped is None]
    skipped = [d.file for d in done if d.skipped is not None]
    console.data(f"Imported {len(stored)} of {len(done)} file(s), "
                 f"{sum(d.rows for d in stored)} prices; requests inside their dates are now "
                 f"served offline.")
    if skipped:
        console.warn(f"cache import: skipped {len(skipped)} file(s): {', '.join(skipped)}")
        return DataError.exit_code
    return 0


def cmd_cache_clear(args: argparse.Namespace, console: _Console) -> int:
    """``betahedge cache clear``: empty the local store."""
    from ..data import clear_store, store_path

    with _warnings_to(console, args.debug):
        n = clear_store()
    console.data(f"Cleared {n} ticker(s) from {store_path()}")
    return 0


