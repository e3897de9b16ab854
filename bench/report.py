"""Compose BENCHMARKS.md from the JSON results under bench/results/."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
REPORT = ROOT / "BENCHMARKS.md"


def write_report(order: list[str]) -> Path:
    parts = [
        "# Benchmarks\n",
        "Latest measured figures, written by `python -m bench` (or `make bench`) from",
        "`bench/results/*.json`. Speeds are medians; ratios compare two methods on the",
        "same inputs in the same run, since this 2-core machine is noisy.\n",
    ]
    for name in order:
        path = RESULTS / f"{name}.json"
        if not path.exists():
            continue
        result = json.loads(path.read_text())
        meta = result.get("_meta", {})
        module = importlib.import_module(f"bench.bench_{name}")
        parts.append(module.markdown(result).rstrip() + "\n")
        m = meta.get("machine", {})
        parts.append(
            f"_Measured {meta.get('date', '?')} with `{meta.get('command', '?')}`"
            f"{' (quick)' if meta.get('quick') else ''}, on {m.get('cpu', '?')}, "
            f"{m.get('cores', '?')} cores, Python {m.get('python', '?')}; "
            f"took {meta.get('seconds', '?')} s._\n"
        )
    REPORT.write_text("\n".join(parts))
    return REPORT
