"""Does each line of working follow from the one before? One verdict per line.

A line is compared with the last line that was trusted (the first readable
line, or one that followed), never with a wrong one: after ``2x = 5`` under
``2x + 3 = 7``, a correct ``x = 2`` is measured against ``2x + 3 = 7`` and
passes, so the one wrong step is the one flagged. What "follows" means
depends on what the two lines claim (:class:`~.claims.Claim`):

- two values (``3 \\times (4 + 5)`` then ``27``): equal, with the rounding a
  written decimal allows;
- two equations or inequalities in one unknown: the same solution set
  (``2x + 3 = 7``, ``2x = 4``, ``x = 2``);
- two expressions with x: the same function after simplifying;
- an answer ``x_1 = 5`` (or ``x = 5``) under an equation: 5 is one of its
  solutions (``x_1``, ``x_2`` name the roots of a quadratic one by one);
- a line that continues the one above (``= 3 \\times 9``): every link of the
  chain holds (for expressions with x, for every x).

A line that claims something false by itself (``2 + 2 = 5``) is wrong
wherever it stands; an unreadable line is skipped; a line that cannot be
compared with the trusted one (a value under an equation) starts anew.

>>> from mathocr.meaning.exact import Num
>>> steps([Claim(number=Num.rational(27)), Claim(number=Num.rational(28))], [False, False])
['start', 'wrong']
"""

from __future__ import annotations

from collections.abc import Sequence

from .claims import Claim
from .compare import equal_within_rounding

__all__ = ["steps", "Checker", "OK", "WRONG", "UNREADABLE", "START"]

OK, WRONG, UNREADABLE, START = "ok", "wrong", "unreadable", "start"


def steps(claims: Sequence[Claim | None], continues: Sequence[bool]) -> list[str]:
    """The verdict of every line; a claim is None for a line that could not be read.

    *continues* says which lines start with a relation and continue the line
    above; their claim's *truth* is whether every link holds.
    """
    checker = Checker()
    return [checker.check(c, k) for c, k in zip(claims, continues, strict=True)]


class Checker:
    """Verdicts line by line, remembering the last trusted line's claim."""

    def __init__(self) -> None:
        self.trusted: Claim | None = None

    def check(self, claim: Claim | None, continued: bool) -> str:
        """The verdict of the next line (and whether it becomes the trusted one)."""
        if claim is None:
            return UNREADABLE
        if claim.truth is False:
            return WRONG
        trusted = self.trusted
        if continued:
            self.trusted = claim
            return OK
        if claim.answer is not None and trusted is not None and trusted.solutions is not None:
            # An answer does not replace the equation: x_2 is checked against it too.
            return OK if trusted.solutions.contains(claim.answer[1]) else WRONG
        verdict = START if trusted is None else _follows(trusted, claim)
        if verdict != WRONG:
            self.trusted = claim
        return verdict


def _follows(before: Claim, after: Claim) -> str:
    if before.solutions is not None and after.solutions is not None:
        return OK if before.solutions.same_as(after.solutions) else WRONG
    if before.number is not None and after.number is not None:
        same = equal_within_rounding(before.number, after.number, before.decimals, after.decimals)
        return OK if same else WRONG
    if before.function is not None and after.function is not None:
        return OK if not (before.function - after.function).num else WRONG
    if before.truth is True and after.truth is True and after.number is None:
        return OK  # one true comparison after another
    return START
