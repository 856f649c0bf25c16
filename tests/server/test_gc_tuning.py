"""A server process freezes what survives a collection and sweeps the frozen objects as they
grow, so cyclic garbage among them is still collected. Run in a fresh interpreter each: the
tuning changes the whole process's collector."""
from __future__ import annotations

import subprocess
import sys
import textwrap


def run(script: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_survivors_of_a_collection_are_frozen():
    print(run("""
        import gc
        from rails.server.gc_tuning import tune_for_serving
        tune_for_serving()
        before = gc.get_freeze_count()
        kept = [[index] for index in range(5000)]
        gc.collect(0)
        assert gc.get_freeze_count() >= before + 5000, (before, gc.get_freeze_count())
        # frozen objects are still freed by reference counting
        del kept
        assert gc.get_freeze_count() < before + 5000
    """))


def test_a_frozen_cycle_that_becomes_garbage_is_collected_by_the_next_sweep():
    print(run("""
        import gc, time, weakref
        from rails.server.gc_tuning import SurvivorFreezer

        class Node:
            pass

        freezer = SurvivorFreezer(period=0.2)
        freezer.install()
        cycle = Node()
        cycle.me = cycle
        alive = weakref.ref(cycle)
        gc.collect(0)  # the cycle survives it: frozen
        del cycle
        gc.collect()
        assert alive() is not None, "a frozen cycle is not walked by collections"
        deadline = time.monotonic() + 10
        while alive() is not None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert alive() is None, "the timed sweep did not collect the frozen cycle"
        assert gc.get_freeze_count() > 0, "after the sweep, the survivors are frozen again"
    """))


def test_a_forked_child_sweeps_too():
    out = run("""
        import gc, os, time, weakref
        from rails.server.gc_tuning import SurvivorFreezer

        class Node:
            pass

        SurvivorFreezer(period=0.2).install()
        pid = os.fork()
        if pid == 0:
            cycle = Node()
            cycle.me = cycle
            alive = weakref.ref(cycle)
            gc.collect(0)
            del cycle
            deadline = time.monotonic() + 10
            while alive() is not None and time.monotonic() < deadline:
                time.sleep(0.01)
            os._exit(0 if alive() is None else 1)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status))
    """)
    assert out == "0", "the forked child's frozen cycle was never swept"


def test_the_sweep_period_grows_while_sweeps_find_no_garbage_and_shrinks_when_they_do():
    print(run("""
        import gc
        from rails.server.gc_tuning import SWEEP_MAX_SECONDS, SWEEP_MIN_SECONDS, SurvivorFreezer

        freezer = SurvivorFreezer(period=40.0)
        freezer.install()
        gc.collect()
        assert freezer.sweep() == 0 and freezer.period == 80.0
        for _ in range(10):
            freezer.sweep()
        assert freezer.period == SWEEP_MAX_SECONDS
        garbage = []
        for _ in range(gc.get_freeze_count() // 4 + 10):
            node = []
            node.append(node)
            garbage.append(node)
        gc.collect(0)  # frozen, then dropped: garbage only a sweep finds
        del garbage, node
        assert freezer.sweep() > 0 and freezer.period == SWEEP_MAX_SECONDS / 2
        freezer.period = SWEEP_MIN_SECONDS * 1.5
        garbage = []
        for _ in range(gc.get_freeze_count() // 4 + 10):
            node = []
            node.append(node)
            garbage.append(node)
        gc.collect(0)
        del garbage, node
        freezer.sweep()
        assert freezer.period == SWEEP_MIN_SECONDS, "never below the minimum"
    """))


def test_young_collections_come_less_often():
    out = run("""
        import gc
        from rails.server.gc_tuning import YOUNG_THRESHOLD, tune_for_serving
        tune_for_serving()
        print(gc.get_threshold()[0] == YOUNG_THRESHOLD)
    """)
    assert out == "True"
