"""Keep a view's data built ahead of its next visitor (the Dispatches page's default view).

10,000 sends take longer to read than the 2 s a page may take, so one thread per console process
rebuilds the default view soon after the store changes: the next person to open the page finds it
cached, and a cache hit costs one small query. The thread stops when nobody has visited for
`idle_after` seconds, or when building fails (the store is gone, a test's temporary one); the next
visit starts it again. The page only says it was visited; what to build is its own cached function.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

# Seconds between builds; a build of unchanged data is a cache hit costing the data version's few index
# reads (~3 ms, revision 0014). Every half second, a change is picked up and built before a person who
# opens the page right after it gets as far as running the page's script (about a second in).
WARM_EVERY = 0.5
IDLE_AFTER = 15 * 60  # seconds without a visit before the thread stops
_KEEPERS: list[ViewKeeper] = []  # every keeper made in this process (`stop_all`)


class ViewKeeper:
    """Calls `build` every `every` seconds in one daemon thread while someone has visited recently."""

    def __init__(self, build: Callable[[], object], *, name: str, every: float = WARM_EVERY,
                 idle_after: float = IDLE_AFTER, clock: Callable[[], float] = time.monotonic):  # fmt: skip
        self.build = build
        self.name = name
        self.every = every
        self.idle_after = idle_after
        self.clock = clock
        self.last_visit = clock()
        self.thread: threading.Thread | None = None
        self._lock = threading.Lock()
        _KEEPERS.append(self)

    def visited(self) -> None:
        """A person opened the view: keep it ready, starting the thread if it is not running."""
        with self._lock:
            self.last_visit = self.clock()
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._keep_warm, name=self.name, daemon=True)
                self.thread.start()

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def _keep_warm(self) -> None:
        while self.clock() - self.last_visit < self.idle_after:
            time.sleep(self.every)
            try:
                self.build()
            except Exception:  # noqa: BLE001 (store gone or busy: the page reads it itself when opened)
                log.warning("%s: stopped keeping the view ready", self.name, exc_info=True)
                return


def stop_all() -> None:
    """Let every keeper's thread end after its current pause; the next visit starts it again. For a
    process that opens many stores one after another (the tests), where threads kept for stores nobody
    will visit again would each build every second until their idle time ran out."""
    for keeper in _KEEPERS:
        keeper.last_visit = float("-inf")  # as if nobody had ever visited: the loop ends
