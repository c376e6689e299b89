"""``python -m betahedge_xl.cli``: the ``betahedge`` command."""

from . import _run

_run()
