"""The shared floor: one-pass numba kernels every engine benchmark is measured against.

They live outside the repository, in ``shared/bench/floor_kernels.py`` beside the checkout (or
beside the folder of worktrees holding it), found the way ``bench_engine.py`` finds
``shared/data/prices``; ``BETAHEDGE_FLOOR`` names the file instead. numba is needed here only
(``pip install ".[bench]"``): the package itself has no JIT.
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

# numba caches compiled kernels in the temporary folder, not in the shared one: set on import
# of this module, before numba's (which reads it once); import this before anything numba.
os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(tempfile.gettempdir()) / "betahedge-numba"))

_NAME = Path("shared") / "bench" / "floor_kernels.py"


def floor_path() -> Path:
    """Where the floor kernels are: ``$BETAHEDGE_FLOOR``, else ``../shared/bench`` of the checkout."""
    given = os.environ.get("BETAHEDGE_FLOOR")
    if given:
        return Path(given)
    here = Path(__file__).resolve()
    for parent in here.parents[2:4]:
        if (parent / _NAME).is_file():
            return parent / _NAME
    raise SystemExit(f"floor kernels not found: set BETAHEDGE_FLOOR to {_NAME.name}, or put "
                     f"{_NAME} beside the checkout")


def kernels() -> ModuleType:
    """The floor kernels' module, compiled (or loaded from numba's cache) and warmed."""
    path = floor_path()
    spec = importlib.util.spec_from_file_location("floor_kernels", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # registered before it runs: numba's cache finds a kernel's module again by name
    sys.modules[spec.name] = module
    keep, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # nor Python's own cache
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = keep
    module.warm()
    return module


def interleaved(fns: dict[str, Callable[[], Any]], repeat: int) -> dict[str, list[float]]:
    """Seconds of each callable over ``repeat`` rounds, one call of each per round.

    Interleaved so that a change in the machine's load (it is shared) hits every callable
    alike; the ratio of two of them is best read round by round (:func:`ratio`).
    """
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeat):
        for key, fn in fns.items():
            t0 = time.perf_counter()
            out = fn()
            times[key].append(time.perf_counter() - t0)
            del out
    return times


def spread(values: list[float], scale: float = 1e3, digits: int = 1) -> str:
    """``median (min-max)`` of ``values`` times ``scale``."""
    v = [x * scale for x in values]
    return f"{statistics.median(v):.{digits}f} ({min(v):.{digits}f}-{max(v):.{digits}f})"


def ratio(ours: list[float], theirs: list[float]) -> tuple[float, float, float]:
    """Median, min and max over the rounds of ``ours / theirs`` (same round, same load)."""
    r = [a / b for a, b in zip(ours, theirs)]
    return statistics.median(r), min(r), max(r)


def load() -> str:
    """The machine's load averages (1, 5, 15 minutes) and its processors, as ``uptime``."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} processor(s)"
