"""Stage timings of one recognition, as every recognizer reports them."""

from __future__ import annotations

import time

__all__ = ["Laps"]


class Laps:
    """Milliseconds per stage, in the order they ran, and the total.

    >>> laps = Laps(); laps.lap("load"); sorted(laps.done())
    ['load', 'total']
    """

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._start = self._clock = time.perf_counter()

    def lap(self, name: str) -> None:
        """Close the stage *name*: the time since the last lap (or the start)."""
        now = time.perf_counter()
        self.timings[name] = (now - self._clock) * 1000.0
        self._clock = now

    def done(self) -> dict[str, float]:
        """The timings with ``"total"``, the time since the start."""
        self.timings["total"] = (time.perf_counter() - self._start) * 1000.0
        return self.timings
