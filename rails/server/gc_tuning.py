"""Garbage-collector settings for a server process.

The cyclic collector cost a busy server its tail latency and, as its caches filled, up to a
fifth of its throughput. A server holds many long-lived objects (the loaded configs, the
events of the recent conversations kept in memory to extend them) and makes almost no cycles
while serving (measured with automatic collection off: a few objects per connection, none per
turn). Yet CPython's collector kept walking the survivors: a middle-generation collection took
22-35 ms, a full one 130 ms and more as the conversation caches filled, every few thousand
turns, and all in-flight requests waited for it (p99 1,085 ms against a 250 ms median).

So, in a server process:
- young collections run less often (every YOUNG_THRESHOLD allocations), so fewer short-lived
  objects survive one;
- whatever survives a collection is frozen (`gc.freeze`, which is O(1)): later collections do
  not walk it. Frozen objects are still freed by reference counting; only a cycle among them
  that becomes garbage stays;
- for those, a sweep (unfreeze, one full collection, freeze again) runs on a timer whose
  period adapts: it doubles, up to SWEEP_MAX_SECONDS, while sweeps find little garbage, and
  halves, down to SWEEP_MIN_SECONDS, when they find much. A sweep is as long as a full
  collection was (450 ms over 450,000 objects); on a server whose garbage cycles are a few
  objects per closed connection it comes every few minutes instead of every few seconds, and
  each worker's timer is jittered so that two workers do not pause at once."""
from __future__ import annotations

import atexit
import gc
import os
import random
import threading

# Allocations between young collections (CPython's default: 700).
YOUNG_THRESHOLD = 10_000
SWEEP_MIN_SECONDS = 10.0
SWEEP_MAX_SECONDS = 600.0
# A sweep that finds less garbage than the first share of the objects it walked lengthens the
# period, one that finds more than the second shortens it: the garbage waiting for a sweep
# stays around a few percent of the heap.
SWEEP_GARBAGE_SHARES = (0.02, 0.10)


class SurvivorFreezer:
    def __init__(self, period: float = SWEEP_MIN_SECONDS):
        self.period = period
        self.sweeping = False
        self._stopped = threading.Event()

    def install(self) -> None:
        gc.callbacks.append(self.after_collection)
        self._start_sweeper()
        # A forked child has no threads but the one that forked: it gets a sweeper of its own.
        os.register_at_fork(after_in_child=self._start_sweeper)
        # (The interpreter's last collections, at exit, run as usual.)
        atexit.register(self.uninstall)

    def _start_sweeper(self) -> None:
        threading.Thread(target=self._sweep_periodically, daemon=True,
                         name="gc-sweeper").start()

    def uninstall(self) -> None:
        self._stopped.set()
        if self.after_collection in gc.callbacks:
            gc.callbacks.remove(self.after_collection)

    def after_collection(self, phase: str, info: dict) -> None:
        if phase == "stop" and not self.sweeping:
            gc.freeze()

    def sweep(self) -> int:
        """Every object back in the collector's sight for one full collection, then frozen
        again; adapts the period to the garbage found, which it returns."""
        self.sweeping = True
        try:
            walked = gc.get_freeze_count()
            gc.unfreeze()
            found = gc.collect()
            gc.freeze()
        finally:
            self.sweeping = False
        little, much = SWEEP_GARBAGE_SHARES
        if found > walked * much:
            self.period = max(SWEEP_MIN_SECONDS, self.period / 2)
        elif found < walked * little:
            self.period = min(SWEEP_MAX_SECONDS, self.period * 2)
        return found

    def _sweep_periodically(self) -> None:
        while not self._stopped.wait(self.period * random.uniform(0.75, 1.25)):
            self.sweep()


_freezer: SurvivorFreezer | None = None


def tune_for_serving() -> None:
    global _freezer
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
    if _freezer is None:
        _freezer = SurvivorFreezer()
        _freezer.install()
    freeze_loaded()


def freeze_loaded() -> None:
    """After start-up or a config load: the long-lived objects made so far are not walked by
    later collections."""
    gc.freeze()
