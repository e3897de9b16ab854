"""What every shipped ONNX model shares: a card beside it, checked on load, and a CPU session.

A model is served only if the card beside it describes that very file
(checksum), in a layout this code understands, for this code's class list;
each model adds the checks of its own input on top.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .errors import ModelError
from .symbols import CLASSES

__all__ = ["checked_card", "cpu_session", "expected_input"]


def expected_input(expected: Mapping[str, Any]) -> Callable[[dict[str, Any]], list[str]]:
    """An ``input_problems`` check for :func:`checked_card`: each field must equal its value."""

    def problems(inp: dict[str, Any]) -> list[str]:
        return [
            f"input {key} is {inp.get(key)!r}, expected {value!r}"
            for key, value in expected.items()
            if inp.get(key) != value
        ]

    return problems


def checked_card(
    model_path: Path,
    card_path: Path,
    *,
    card_format: int,
    input_problems: Callable[[dict[str, Any]], list[str]],
    classes: tuple[str, ...] = CLASSES,
) -> dict[str, Any]:
    """The card at *card_path* for *model_path*, or :class:`ModelError` saying what differs."""
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ModelError(f"no model card at {card_path}: {e}") from e
    except json.JSONDecodeError as e:
        raise ModelError(f"{card_path}: not valid JSON: {e}") from e
    if not isinstance(card, dict):
        raise ModelError(f"{card_path}: expected a JSON object")
    problems = []
    if card.get("card_format") != card_format:
        problems.append(f"card_format is {card.get('card_format')!r}, expected {card_format}")
    if not isinstance(card.get("version"), str) or not card["version"]:
        problems.append("no version")
    if card.get("file") != model_path.name:
        problems.append(f"describes {card.get('file')!r}, not {model_path.name!r}")
    if tuple(card.get("classes") or ()) != classes:
        problems.append("its classes differ from this code's class list")
    problems += input_problems(card.get("input") or {})
    if problems:
        raise ModelError(f"{card_path} does not match this mathocr: " + "; ".join(problems))
    try:
        digest = hashlib.sha256(model_path.read_bytes()).hexdigest()
    except OSError as e:
        raise ModelError(f"cannot read model {model_path}: {e}") from e
    if digest != card.get("sha256"):
        raise ModelError(f"{model_path} does not match its card's sha256 (model or card replaced?)")
    return card


def cpu_session(path: Path, threads: int) -> Any:
    """An ONNX Runtime session on the CPU with *threads* intra-op threads, quiet.

    ONNX Runtime's CPU arena is off, and with it the memory patterns planned
    per input shape: the arena keeps the largest buffers any batch ever needed
    and never gives them back, and our batches (the symbols of one image) vary
    in size with every request. Served by 2 gunicorn workers, the arena held
    tens of MB per worker; plain allocations cost no measurable CPU time on
    these small models.
    """
    if threads < 1:
        raise ValueError(f"threads must be ≥ 1, got {threads}")
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    options.enable_cpu_mem_arena = False
    options.enable_mem_pattern = False
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as e:  # ORT raises its own exception types
        raise ModelError(f"cannot load ONNX model {path}: {e}") from e
