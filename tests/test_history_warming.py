"""The Dispatches default view is kept built while people visit, and the thread stops when they do not."""

from __future__ import annotations

import threading

from lib.history.warming import ViewKeeper
from tests.support_dispatches import poll


def test_builds_while_visited_stops_when_idle_and_a_visit_starts_it_again():
    built = threading.Semaphore(0)
    now = [0.0]
    keeper = ViewKeeper(built.release, name="test-view", every=0.01, idle_after=60, clock=lambda: now[0])
    keeper.visited()
    assert built.acquire(timeout=5) and built.acquire(timeout=5)  # built again and again
    now[0] = 61.0  # nobody for a minute
    poll(lambda: not keeper.running, 5, "the keeper to stop when idle")
    keeper.visited()
    assert keeper.running and built.acquire(timeout=5)


def test_a_failing_build_stops_the_thread_until_the_next_visit():
    calls = []

    def build():
        calls.append(1)
        raise RuntimeError("store gone")

    keeper = ViewKeeper(build, name="test-view", every=0.01)
    keeper.visited()
    poll(lambda: not keeper.running, 5, "the keeper to stop after a failure")
    assert calls == [1]
