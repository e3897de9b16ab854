"""Soak: ``mathocr serve`` under a steady 20 requests a second for minutes on end.

The short HTTP benchmark (``bench_serve``) says how fast the service is; this
one says whether it stays that way: whether the workers' memory levels off or
keeps growing, whether latency drifts, and whether every accepted post still
ends as one row with one file. The service runs as in ``bench_serve`` (its
default gunicorn layout, production settings, SQLite and a media folder in a
temp dir, throttling off) and 20 clients each post one CROHME canvas drawing a
second on their own keep-alive connection, with random phases: 20 requests a
second offered. Each client waits for its answer; one that fell behind posts
again at once but does not burst to catch up, so on a machine that cannot
keep up the served rate falls below the offered one.

Every 15 s the resident memory (RSS) of the gunicorn master and each worker
is recorded. At the end: median, p95 and p99 latency, errors, and the rows
in the database against the files in the media folder.

``python -m bench soak --minutes N`` sets the length (default 10; 1 with
``--quick``).
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.bench_serve import (
    THREADS,
    WORKERS,
    Client,
    _free_port,
    _payloads,
    _percentile,
    _run_clients,
    _start,
    _stop,
    _tree_rss_mb,
)

CLIENTS = 20
PERIOD_S = 1.0  # each client posts once a second: 20 req/s in all
SAMPLE_S = 15.0
DEFAULT_MINUTES = 10.0


def _sample_memory(pid: int, start: float, stop: threading.Event, out: list[dict]) -> None:
    while True:
        total, sizes = _tree_rss_mb(pid)
        out.append(
            {
                "t_s": round(time.monotonic() - start, 1),
                "total_mb": round(total, 1),
                "master_mb": round(sizes[0], 1) if sizes else None,
                "workers_mb": [round(x, 1) for x in sizes[1:]],
            }
        )
        if stop.wait(SAMPLE_S):
            return


def run(*, quick: bool, minutes: float | None = None) -> dict[str, Any]:
    if minutes is None:
        minutes = 1.0 if quick else DEFAULT_MINUTES
    if minutes <= 0:
        raise ValueError(f"minutes must be positive, got {minutes}")
    bodies = _payloads(40)
    with tempfile.TemporaryDirectory(prefix="mathocr-bench-soak-") as tmp_name:
        tmp = Path(tmp_name)
        port = _free_port()
        proc = _start(tmp, port, WORKERS, THREADS)
        try:
            warm = [Client(port, bodies, seed=2000 + i) for i in range(CLIENTS)]
            _run_clients(warm, lambda c: lambda: [c.post() for _ in range(2)])
            for c in warm:
                c.close()
            clients = [Client(port, bodies, seed=3000 + i) for i in range(CLIENTS)]
            samples: list[dict] = []
            stop = threading.Event()
            start = time.monotonic()
            sampler = threading.Thread(
                target=_sample_memory, args=(proc.pid, start, stop, samples), daemon=True
            )
            sampler.start()
            elapsed = _run_clients(clients, lambda c: c.paced, start + 60 * minutes, PERIOD_S)
            stop.set()
            sampler.join()
            _, sizes = _tree_rss_mb(proc.pid)
            samples.append(
                {
                    "t_s": round(time.monotonic() - start, 1),
                    "total_mb": round(sum(sizes), 1),
                    "master_mb": round(sizes[0], 1) if sizes else None,
                    "workers_mb": [round(x, 1) for x in sizes[1:]],
                }
            )
            for c in clients:
                c.close()
        finally:
            _stop(proc)
        with sqlite3.connect(tmp / "db.sqlite3") as db:
            rows = dict(db.execute("SELECT status, COUNT(*) FROM ocr_postedimage GROUP BY status"))
        files = sum(1 for p in (tmp / "media").rglob("*") if p.is_file())

    latencies = [x for c in clients for x in c.latencies]
    errors = [e for c in clients for e in c.errors]
    first, last = samples[0], samples[-1]
    result: dict[str, Any] = {
        "minutes": minutes,
        "server": {"workers": WORKERS, "threads": THREADS},
        "clients": CLIENTS,
        "offered_rps": CLIENTS / PERIOD_S,
        "served_rps": round(len(latencies) / elapsed, 1),
        "requests": len(latencies) + len(errors),
        "errors": len(errors),
        "error_samples": errors[:5],
        "latency_ms": {
            "median": round(statistics.median(latencies), 1) if latencies else None,
            "p95": round(_percentile(latencies, 95), 1) if latencies else None,
            "p99": round(_percentile(latencies, 99), 1) if latencies else None,
            "max": round(max(latencies), 1) if latencies else None,
        },
        "rss": samples,
        "worker_mb": {
            "first": first["workers_mb"],
            "last": last["workers_mb"],
            "max": max((max(s["workers_mb"], default=0.0) for s in samples), default=None),
        },
        # Warm-up posts are stored too: 2 per warm-up client.
        "stored": {"rows": rows, "files": files, "warm_up_posts": 2 * CLIENTS},
        "load_average": round(os.getloadavg()[0], 2),
    }
    result["rows_match_files"] = sum(rows.values()) == files
    return result


def markdown(result: dict[str, Any]) -> str:
    lat, workers, stored = result["latency_ms"], result["worker_mb"], result["stored"]
    total_rows = sum(stored["rows"].values())
    lines = [
        "## Soak: steady load for minutes (`bench/bench_soak.py`)",
        "",
        f"{result['clients']} clients each post one CROHME canvas drawing a second "
        f"({result['offered_rps']:g} req/s offered) to `mathocr serve` "
        f"({result['server']['workers']} workers x {result['server']['threads']} threads, "
        f"production settings, SQLite) for {result['minutes']:g} "
        f"minute{'' if result['minutes'] == 1 else 's'}; resident memory of every serving "
        "process every 15 s. A served rate under the offered one means the machine could not "
        "keep up and the clients fell behind (each waits for its answer before its next post).",
        "",
        "| requests | served | median | p95 | p99 | max | errors |",
        "|---|---|---|---|---|---|---|",
        f"| {result['requests']} | {result['served_rps']} req/s | {lat['median']} ms "
        f"| {lat['p95']} ms | {lat['p99']} ms | {lat['max']} ms | **{result['errors']}** |",
        "",
        "| t (s) | master (MB) | workers (MB) |",
        "|---|---|---|",
    ]
    for sample in result["rss"]:
        lines.append(
            f"| {sample['t_s']:g} | {sample['master_mb']} "
            f"| {' + '.join(f'{x:.0f}' for x in sample['workers_mb'])} |"
        )
    lines += [
        "",
        f"Workers {' / '.join(f'{x:.0f}' for x in workers['first'])} MB at the start, "
        f"{' / '.join(f'{x:.0f}' for x in workers['last'])} MB at the end, at most "
        f"{workers['max']:.0f} MB. Stored: {total_rows} rows "
        f"({', '.join(f'{k} {v}' for k, v in sorted(stored['rows'].items()))}; "
        f"{stored['warm_up_posts']} of them warm-up posts) and {stored['files']} files: "
        f"rows = files **{'yes' if result['rows_match_files'] else 'NO'}**. "
        f"Load average {result['load_average']} at the end: other work shares the 2 cores.",
    ]
    return "\n".join(lines)
