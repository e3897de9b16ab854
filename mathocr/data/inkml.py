"""Reading CROHME InkML files: strokes, truth, writer, and labelled symbols.

Coordinates stay as written in the file (units differ between collections);
:mod:`mathocr.data.render` scales them by the expression's own size.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InkMLError

__all__ = ["InkSymbol", "InkExpression", "read_inkml", "iter_inkml"]

_NS = "{http://www.w3.org/2003/InkML}"


@dataclass(frozen=True)
class InkSymbol:
    """One labelled symbol: its CROHME label and the ids of its strokes."""

    label: str
    trace_ids: tuple[str, ...]


@dataclass(frozen=True)
class InkExpression:
    """One handwritten expression as stored in an InkML file."""

    path: str
    truth: str
    """The whole expression in LaTeX, without the surrounding ``$``."""
    writer: str | None
    traces: dict[str, np.ndarray]
    """Stroke id → (K, 2) float array of x, y points (y grows downwards)."""
    symbols: tuple[InkSymbol, ...]

    def symbol_strokes(self, symbol: InkSymbol) -> list[np.ndarray]:
        """The point arrays of one symbol's strokes."""
        return [self.traces[t] for t in symbol.trace_ids]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _parse_trace(text: str | None) -> np.ndarray:
    points: list[tuple[float, float]] = []
    for chunk in (text or "").replace("\n", " ").split(","):
        values = chunk.split()
        if len(values) < 2:
            continue
        try:
            points.append((float(values[0]), float(values[1])))
        except ValueError as e:
            raise InkMLError(f"bad trace point {chunk.strip()!r}") from e
    if not points:
        raise InkMLError("empty trace")
    return np.asarray(points, dtype=np.float64)


def _annotation(elem: ET.Element, kind: str) -> str | None:
    for child in elem:
        if _local(child.tag) == "annotation" and child.get("type") == kind:
            return (child.text or "").strip()
    return None


def _collect_symbols(group: ET.Element, out: list[InkSymbol]) -> None:
    for child in group:
        if _local(child.tag) != "traceGroup":
            continue
        refs = tuple(
            v.get("traceDataRef", "")
            for v in child
            if _local(v.tag) == "traceView" and v.get("traceDataRef")
        )
        label = _annotation(child, "truth")
        if refs and label is not None:
            out.append(InkSymbol(label=label, trace_ids=refs))
        else:
            _collect_symbols(child, out)


def read_inkml(path: str | Path) -> InkExpression:
    """Read one InkML file.

    Raises :class:`~mathocr.errors.InkMLError` for anything malformed (bad XML,
    no traces, a symbol naming a stroke that does not exist), so that a dataset
    build can report the file and go on.
    """
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as e:
        raise InkMLError(f"{path}: cannot read InkML: {e}") from e
    if _local(root.tag) != "ink":
        raise InkMLError(f"{path}: root element is <{_local(root.tag)}>, not <ink>")
    truth = (_annotation(root, "truth") or "").strip()
    if truth.startswith("$") and truth.endswith("$") and len(truth) >= 2:
        truth = truth[1:-1].strip()
    writer = _annotation(root, "writer")
    traces: dict[str, np.ndarray] = {}
    symbols: list[InkSymbol] = []
    for child in root:
        tag = _local(child.tag)
        if tag == "trace":
            trace_id = child.get("id")
            if trace_id is None:
                raise InkMLError(f"{path}: a <trace> has no id")
            try:
                traces[trace_id] = _parse_trace(child.text)
            except InkMLError as e:
                raise InkMLError(f"{path}: trace {trace_id}: {e}") from e
        elif tag == "traceGroup":
            _collect_symbols(child, symbols)
    if not traces:
        raise InkMLError(f"{path}: no traces")
    for symbol in symbols:
        missing = [t for t in symbol.trace_ids if t not in traces]
        if missing:
            raise InkMLError(f"{path}: symbol {symbol.label!r} names missing traces {missing}")
    return InkExpression(
        path=str(path), truth=truth, writer=writer or None, traces=traces, symbols=tuple(symbols)
    )


def iter_inkml(root: str | Path) -> Iterator[Path]:
    """Every ``.inkml`` file under *root* (or *root* itself), in a stable order."""
    root = Path(root)
    if root.is_file():
        yield root
        return
    yield from sorted(root.rglob("*.inkml"))
