"""What written mathematics claims, and whether a student's working follows.

:mod:`mathocr.expression` reads one line; this subpackage adds what a line of
working needs beyond a value: exact comparisons (:mod:`.compare`), solution
sets as unions of intervals (:mod:`.intervals`), exact polynomial roots
(:mod:`.roots`), equations solved by numbers (:mod:`.numeric`), splitting a
page of symbols into lines (:mod:`.lines`) and
checking each line against the one it follows (:mod:`.steps`, :mod:`.page`).
"""

from __future__ import annotations

__all__: list[str] = []
