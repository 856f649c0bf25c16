"""Garbage-collector settings for a server process.

The tail latency of a busy server was the cyclic garbage collector: a full collection walks
every tracked object, and a server holds many (the loaded configs and modules, the recent
conversations LLMRails keeps to extend their event lists), so every few thousand turns all
in-flight requests waited for one walk (measured in-process: 100-230 ms on a loaded 2-core
machine, against a 4 ms median). Two cheap measures: what exists once the server is ready is
moved out of the collector's sight (`gc.freeze`; it is freed normally by reference counting,
only cycles among it are never collected), and young collections run less often, so fewer
objects survive into the old generation and full collections come later."""
from __future__ import annotations

import gc

# Allocations between young collections (CPython's default: 700).
YOUNG_THRESHOLD = 10_000


def tune_for_serving() -> None:
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
    freeze_loaded()


def freeze_loaded() -> None:
    """After start-up or a config load: the long-lived objects made so far are not walked by
    later collections."""
    gc.freeze()
