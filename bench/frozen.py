"""The last runs that measured the retired rules beside the detector, kept as they were.

The rule-based segmentation was deleted after commit ``c5d1ca0``. Its last
side-by-side figures (``bench/results/<name>_vs_rules.json``, copied from the
results of that time) are the record of what the detector replaced, so every
report shows them after a benchmark's current figures; no run rewrites them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def frozen_section(name: str, markdown: Callable[[dict[str, Any]], str]) -> str:
    """*name*'s frozen side-by-side result as a subsection (empty when there is none).

    *markdown* is the benchmark's own renderer; its top heading becomes the
    subsection's, one level down, and the run's date and model are named.
    """
    path = RESULTS / f"{name}_vs_rules.json"
    if not path.exists():
        return ""
    result = json.loads(path.read_text())
    body = markdown(result).strip().splitlines()
    if body and body[0].startswith("## "):
        body = body[1:]
    while body and not body[0].strip():
        body = body[1:]
    when = result.get("_meta", {}).get("date", "?")
    if result.get("commit"):
        when += f" at commit `{result['commit']}`"
    # Engines at the top (pages, robustness) or within each split (detector).
    engines = result.get("engines") or next(iter(result.get("splits", {}).values()), {})
    models = "; ".join(
        f"{engine} `{figures.get('model_version', '?')}`" for engine, figures in engines.items()
    )
    lines = [
        "",
        "### Against the retired rules (the last side-by-side run)",
        "",
        f"Both engines on the same images in one run, measured {when} (models: {models}), "
        f"the last before the rules were deleted; kept as measured "
        f"(`bench/results/{path.name}`), never rerun.",
        "",
        *(line.replace("### ", "#### ", 1) if line.startswith("### ") else line for line in body),
    ]
    return "\n".join(lines) + "\n"
