"""The evaluation images: CROHME ``valid/`` expressions drawn as a canvas and as a photo.

The drawing itself (:func:`mathocr.data.scenes.canvas_image`,
:func:`mathocr.data.scenes.photo_image`) lives in the package, where the training
data builder uses it on the ``train/`` writers; here are the held-out
expressions the benchmark reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from mathocr.data.inkml import InkExpression, iter_inkml, read_inkml
from mathocr.data.scenes import EvalImage, all_ours, canvas_image, photo_image

__all__ = [
    "EvalImage",
    "in_scope_expressions",
    "canvas_image",
    "photo_image",
    "evaluation_images",
]


def in_scope_expressions(crohme_dir: Path) -> list[InkExpression]:
    """The ``valid/`` expressions made only of our symbols, in a stable order.

    Uses :func:`mathocr.data.canonical.in_scope` on the truth as well when it is
    available, so that the benchmark agrees with the layout's notion of scope.
    """
    try:
        from mathocr.data.canonical import in_scope
    except ImportError:  # pragma: no cover - before the layout stage lands
        in_scope = None
    out = []
    for path in iter_inkml(Path(crohme_dir) / "valid"):
        ink = read_inkml(path)
        if not all_ours(ink):
            continue
        if in_scope is not None and not in_scope(ink.truth):
            continue
        out.append(ink)
    return out


def evaluation_images(
    crohme_dir: Path, *, kinds: tuple[str, ...] = ("canvas", "photo"), limit: int | None = None
) -> Iterator[EvalImage]:
    """Canvas and photo images of every in-scope ``valid/`` expression."""
    expressions = in_scope_expressions(crohme_dir)
    if limit is not None:
        step = max(1, len(expressions) // limit)
        expressions = expressions[::step][:limit]
    for i, ink in enumerate(expressions):
        if "canvas" in kinds:
            yield canvas_image(ink, i)
        if "photo" in kinds:
            yield photo_image(ink)
