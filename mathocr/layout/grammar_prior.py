"""How often one kind of token follows another in handwritten expressions.

The context decoder (:mod:`mathocr.layout.context`) picks labels that make a
well-formed expression, but many misreadings are well-formed too: a ``+``
written like a ``t`` and read as ``1`` turns ``2 + \\sqrt{3}`` into
``21\\sqrt{3}``. What settles it is how people write: on the CROHME train
writers a digit is followed by an operator forty times as often as by a root
or a fraction. This module holds those counts, over the decoder's own token
classes (digit, point, x, brackets, operators, ``=``, a fraction or root,
a superscript, the row's end), counted row by row on the train expressions
with their true labels and stroke boxes.

The table ships as ``models/token_bigrams.json``; :func:`count_transitions`
rebuilds it (``python -m mathocr.layout.grammar_prior ../shared/data/crohme/train
mathocr/models/token_bigrams.json``), and a test checks that the shipped file
is what the data gives.
"""

from __future__ import annotations

import json
import math
import sys
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

__all__ = ["TOKEN_CLASSES", "END", "log_prior", "count_transitions", "PRIOR_FILE"]

#: The decoder's token classes, in the order of its constants (``context._START`` ...).
TOKEN_CLASSES: tuple[str, ...] = (
    "start",
    "digit",
    "point",
    "x",
    "open",
    "close",
    "binary",
    "unary",
    "product",
    "equals",
    "operand",
    "superscript",
)
#: The end of a row, as a "next token".
END = "end"
PRIOR_FILE = Path(__file__).resolve().parent.parent / "models" / "token_bigrams.json"


def count_transitions(root: str | Path) -> dict[str, dict[str, int]]:
    """Count ``previous class → next class`` over every row of the InkML expressions under *root*.

    Only expressions whose symbols are all of our classes count; each is laid
    out from its true labels and stroke boxes
    (:func:`mathocr.data.ink_layout.placed_symbols`), and every row of the tree
    (the top line, numerators, denominators, radicands, exponents) is walked
    with the decoder's own grammar steps.
    """
    from ..data.ink_layout import placed_symbols
    from ..data.inkml import InkMLError, iter_inkml, read_inkml
    from .build import build_layout
    from .context import row_token_classes

    counts: Counter[tuple[str, str]] = Counter()
    for path in iter_inkml(root):
        try:
            ink = read_inkml(path)
        except InkMLError:  # a malformed file is skipped, as the dataset builder does
            continue
        placed = placed_symbols(ink)
        if not placed:
            continue
        tree = build_layout(placed, [s.label for s in placed])
        for sequence in row_token_classes(tree):
            names = [TOKEN_CLASSES[c] for c in sequence] + [END]
            counts.update(zip(names, names[1:], strict=False))
    out: dict[str, dict[str, int]] = {}
    for (a, b), n in sorted(counts.items()):
        out.setdefault(a, {})[b] = n
    return out


@lru_cache(maxsize=1)
def _table() -> dict[tuple[int, int], float]:
    """Add-one smoothed log P(next | previous), keyed by class indices (END = -1)."""
    counts: dict[str, dict[str, int]] = json.loads(PRIOR_FILE.read_text())["counts"]
    nexts = [*range(len(TOKEN_CLASSES)), -1]
    table: dict[tuple[int, int], float] = {}
    for i, name in enumerate(TOKEN_CLASSES):
        row = counts.get(name, {})
        total = sum(row.values()) + len(nexts)
        for j in nexts:
            key = END if j < 0 else TOKEN_CLASSES[j]
            table[(i, j)] = math.log((row.get(key, 0) + 1) / total)
    return table


def log_prior(previous: int, following: int) -> float:
    """log P(*following* | *previous*) for decoder class indices; ``-1`` is the row's end."""
    return _table()[(previous, following)]


def _write(counts: dict[str, dict[str, int]], out: Path, root: str) -> None:
    out.write_text(
        json.dumps(
            {
                "about": "previous → next token class counts over CROHME train rows "
                "(mathocr.layout.grammar_prior.count_transitions)",
                "source": Path(root).name,
                "counts": counts,
            },
            indent=1,
            sort_keys=True,
        )
        + "\n"
    )


def main(argv: Iterable[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print("usage: python -m mathocr.layout.grammar_prior INKML_DIR OUT.json", file=sys.stderr)
        return 2
    counts = count_transitions(args[0])
    _write(counts, Path(args[1]), args[0])
    print(f"{sum(sum(r.values()) for r in counts.values())} transitions → {args[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
