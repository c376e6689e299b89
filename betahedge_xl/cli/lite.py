"""``betahedge lite DIR``: the files that put the worksheet functions into xlwings Lite.

::

    betahedge lite DIR [--url URL] [--force]

writes ``DIR/main.py`` (one line that registers every function: see :mod:`betahedge_xl.lite`),
``DIR/requirements.txt`` (the wheel's URL) and ``DIR/<wheel>``: this installation of
betahedge-xl as a pure-Python wheel, built from the installed files and metadata with the
standard library only (no build tool, no network), and prints where to host it. Lite installs
its requirements with micropip, which evaluates the wheel's environment markers: under
Pyodide it takes pandas, numpy and platformdirs from the Pyodide distribution, keeps Lite's
own xlwings, and skips yfinance, matplotlib and xlsxwriter.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import zipfile
from pathlib import Path
from typing import Any

from ..exceptions import InputError
from .console import _Console

#: The distribution whose installed files and metadata make the wheel.
DISTRIBUTION = "betahedge-xl"
#: Installed folders Lite never uses (the desktop workbook and add-in, a few MB).
_LEFT_OUT = {"workbook", "__pycache__"}
#: A fixed time stamp for every member: the same installation gives the same wheel.
_STAMP = (2020, 1, 1, 0, 0, 0)

MAIN_PY = '''\
# BetaHedge worksheet functions for xlwings Lite: =BETA_HEDGE, =BETA_HEDGE_STAT, ...
# requirements.txt installs the betahedge-xl wheel; this line registers every function.
# Prices come from ranges (=STOCKHISTORY(...), a pasted table): Yahoo cannot be reached here.
from betahedge_xl.lite import *  # noqa: F401,F403
'''


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add the ``lite`` command to the ``betahedge`` subparsers."""
    p: argparse.ArgumentParser = sub.add_parser(
        "lite", help="files for xlwings Lite (Excel on the web, Mac, Windows): main.py, "
                     "requirements.txt and the wheel",
        description="Write main.py, requirements.txt and this package as a wheel into DIR, "
                    "for the worksheet functions in xlwings Lite, and print where to host "
                    "the wheel.")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("--url", help="where the wheel will be served: its folder or its own "
                                 "https URL (the server must send CORS headers)")
    p.add_argument("--force", action="store_true", help="replace files already in DIR")
    p.set_defaults(func=cmd_lite)
    return p


#: Requirements that must carry an emscripten marker (they cannot or need not go to Lite).
DESKTOP_ONLY = ("xlwings", "yfinance", "matplotlib", "xlsxwriter", "curl_cffi", "curl-cffi")


def _desktop_only(requirements: list[str]) -> list[str]:
    """The requirements of ``requirements`` (Requires-Dist lines) that Pyodide would be asked
    for although they are desktop-only: no ``emscripten`` marker, no extra."""
    import re

    out = []
    for req in requirements:
        name = re.split(r"[\s;<>=!~\[(]", req.strip(), maxsplit=1)[0].lower()
        if name in DESKTOP_ONLY and "emscripten" not in req and "extra" not in req:
            out.append(req.split(";")[0].strip())
    return out


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return f"sha256={digest.decode()}"


def build_wheel() -> tuple[str, bytes]:
    """This installation of betahedge-xl as a ``py3-none-any`` wheel: its name and bytes.

    Raises
    ------
    InputError
        The package's metadata is not installed (run from a source tree without
        ``pip install``).
    """
    from importlib import metadata

    import betahedge_xl

    # The installed dist-info first: a source tree that pip built in place also holds a
    # betahedge_xl.egg-info (PKG-INFO, no METADATA), found first when the tree is on sys.path.
    # METADATA read once per distribution; sorted() is stable, so sys.path order is kept
    # among the dist-infos.
    found = sorted(((d, d.read_text("METADATA")) for d in metadata.distributions(
        name=DISTRIBUTION)), key=lambda pair: pair[1] is None)
    found = [(d, meta or d.read_text("PKG-INFO")) for d, meta in found]
    if not found:
        raise InputError(f"lite: {DISTRIBUTION} is not installed (its metadata makes the "
                         f"wheel); run pip install . first")
    dist, meta = found[0]
    if not meta:
        raise InputError(f"lite: the installed {DISTRIBUTION} has no METADATA; reinstall it")
    stale = _desktop_only(dist.requires or [])
    if stale:
        raise InputError(f"lite: the installed {DISTRIBUTION} metadata would install "
                         f"{', '.join(stale)} in the browser (it predates xlwings Lite "
                         f"support); reinstall it (pip install .) and run this again")
    version = dist.version
    info = f"betahedge_xl-{version}.dist-info"
    name = f"betahedge_xl-{version}-py3-none-any.whl"
    root = Path(betahedge_xl.__file__).parent
    members: list[tuple[str, bytes]] = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root.parent)
        if path.is_dir() or _LEFT_OUT & set(rel.parts) or path.suffix in (".pyc", ".pyo"):
            continue
        members.append((rel.as_posix(), path.read_bytes()))
    members.append((f"{info}/METADATA", meta.encode("utf-8")))
    members.append((f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: betahedge lite\n"
                                     b"Root-Is-Purelib: true\nTag: py3-none-any\n"))
    record = "".join(f"{n},{_record_hash(d)},{len(d)}\n" for n, d in members)
    members.append((f"{info}/RECORD", (record + f"{info}/RECORD,,\n").encode("utf-8")))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in members:
            entry = zipfile.ZipInfo(member, _STAMP)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(entry, data)
    return name, buffer.getvalue()


def wheel_url(url: str | None, wheel: str) -> str | None:
    """The wheel's URL from ``--url``: a folder gets the wheel's name appended."""
    if url is None:
        return None
    url = url.strip()
    if not url.lower().startswith(("https://", "http://")):
        raise InputError(f"lite: --url {url!r} is not an http(s) URL; Lite fetches the wheel "
                         f"from a web server")
    return url if url.lower().endswith(".whl") else f"{url.rstrip('/')}/{wheel}"


def cmd_lite(args: argparse.Namespace, console: _Console) -> int:
    """``betahedge lite DIR``: write main.py, requirements.txt and the wheel; print the steps."""
    from .._files import write_bytes, write_text

    wheel, data = build_wheel()
    url = wheel_url(args.url, wheel)
    dest = Path(args.dir).expanduser()
    if dest.exists() and not dest.is_dir():
        raise InputError(f"lite: {dest} exists and is not a folder")
    names = ("main.py", "requirements.txt", wheel)
    clashes = [n for n in names if (dest / n).exists()]
    if clashes and not args.force:
        raise InputError(f"lite: {', '.join(clashes)} already in {dest}; use --force to replace")
    requirement = url or f"# https://<where you host it>/{wheel}"
    requirements = (f"# betahedge-xl for xlwings Lite: the URL of {wheel}, served with CORS "
                    f"headers\n{requirement}\n")
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"lite: cannot create {dest} ({exc.strerror or exc})") from None
    write_bytes(dest / wheel, data, "lite")
    write_text(dest / "requirements.txt", requirements, "lite")
    write_text(dest / "main.py", MAIN_PY, "lite")
    for n in names:
        console.data(f"wrote {dest / n}")
    host = (f"  1. Serve {wheel} at {url}" if url else
            f"  1. Put {wheel} on a web server Excel's browser runtime can fetch from: an https "
            f"URL whose answers carry CORS headers (Access-Control-Allow-Origin), e.g. a "
            f"release asset or an internal server; then run this again with --url URL, or "
            f"write that URL as the last line of requirements.txt")
    console.data("\n".join([
        "Next steps (xlwings Lite: Excel on the web, on macOS or Windows):",
        host,
        "  2. In Excel: Home > Add-ins > xlwings Lite; paste requirements.txt into its "
        "requirements.txt tab (it installs the wheel) and main.py into its main.py tab",
        "  3. Give prices as ranges: =BETA_HEDGE_STAT(\"beta\", A1:B253, D1:E253), "
        "=STOCKHISTORY(\"TSLA\",DATE(2014,1,1),DATE(2015,1,1)) output, a table or A:.B; "
        "tickers cannot be fetched in the browser",
        "  4. A workbook in the 1904 date system: set BETAHEDGE_DATE_SYSTEM to 1904 in "
        "xlwings Lite's environment variables (Workbook scope)",
    ]))
    return 0
