"""Run benchmarks and refresh BENCHMARKS.md: ``python -m bench [NAME ...] [--quick]``."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import inspect
import json
import os
import platform
import sys
import time
from pathlib import Path

from bench.report import RESULTS, write_report

ORDER = [
    "symbols",
    "layout",
    "pipeline",
    "pages",
    "detector",
    "detector_int8",
    "robustness",
    "serve",
    "soak",
]


def machine() -> dict[str, object]:
    """Describe the machine, so that figures can be read in context."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: {' '.join(ORDER)})")
    parser.add_argument("--quick", action="store_true", help="smaller samples, for a smoke run")
    parser.add_argument(
        "--minutes",
        type=float,
        default=None,
        help="how long the soak runs (default 10; 1 with --quick)",
    )
    args = parser.parse_args(argv)
    names = args.names or ORDER
    RESULTS.mkdir(parents=True, exist_ok=True)
    failed = []
    for name in names:
        module = importlib.import_module(f"bench.bench_{name}")
        print(f"== bench {name}", file=sys.stderr)
        start = time.perf_counter()
        try:
            options = {"quick": args.quick}
            if args.minutes is not None and "minutes" in inspect.signature(module.run).parameters:
                options["minutes"] = args.minutes
            result = module.run(**options)
        except Exception as e:  # one broken benchmark must not hide the others
            print(f"bench {name} failed: {e!r}", file=sys.stderr)
            failed.append(name)
            continue
        result["_meta"] = {
            "name": name,
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "seconds": round(time.perf_counter() - start, 1),
            "command": "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:]),
            "quick": args.quick,
            "machine": machine(),
        }
        (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    write_report(ORDER)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
