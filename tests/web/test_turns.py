"""Recognitions in one process take turns (``MATHOCR_RECOGNITIONS_AT_ONCE``)."""

from __future__ import annotations

import threading
import time

import pytest

import mathocr
from web.ocr import services


@pytest.fixture
def turns(settings, monkeypatch):
    """A fresh semaphore for the setting the test sets, and a count of overlapping calls."""

    def with_limit(limit: int) -> dict[str, int]:
        settings.MATHOCR_RECOGNITIONS_AT_ONCE = limit
        monkeypatch.setattr(services, "_turns", None)
        real = mathocr.recognize
        seen = {"now": 0, "most": 0}
        lock = threading.Lock()

        def counting(*args, **kwargs):
            with lock:
                seen["now"] += 1
                seen["most"] = max(seen["most"], seen["now"])
            try:
                time.sleep(0.05)  # a window for another thread to overlap this one
                return real(*args, **kwargs)
            finally:
                with lock:
                    seen["now"] -= 1

        monkeypatch.setattr(mathocr, "recognize", counting)
        return seen

    return with_limit


def _recognize_from_threads(png: bytes, n: int) -> list[str]:
    latex: list[str] = []

    def one() -> None:
        latex.append(services.recognize_in_turn(png).latex)

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latex


@pytest.mark.parametrize("limit", [1, 2])
def test_no_more_recognitions_run_at_once_than_the_setting_allows(turns, sum_png, limit):
    seen = turns(limit)
    latex = _recognize_from_threads(sum_png, 4)
    assert len(latex) == 4 and len(set(latex)) == 1  # every thread got its reading
    assert seen["most"] == limit
