"""Imports with the cyclic collector paused, for the big ones made while a command runs
(LangChain and the OpenAI client on a run's first model call: a second of start-up).

Importing creates hundreds of thousands of objects that live as long as the process; the
collector, triggered by every 700 new ones, walks them again and again as they come (about
a tenth of that import). Paused meanwhile, they are then frozen out of its way
(`gc.freeze`, which also spares them the passes at exit), and it runs as usual afterwards.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_collector() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
