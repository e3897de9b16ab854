"""End-to-end HTTP benchmark: POST canvas drawings to ``mathocr serve`` (gunicorn).

The service runs as in production (production settings, DEBUG off, a
throwaway SECRET_KEY, a SQLite database and media folder in a temp dir,
ALLOWED_HOSTS=127.0.0.1, plain http, throttling off) on a free loopback port.
Clients POST real canvas drawings (CROHME ``valid/`` expressions rendered by
``bench/images.py``) as JSON data URLs, the way the page does, each on its own
keep-alive connection. Every response must be a 201 with status ``done``.

Phases, all with 20 concurrent clients (after one client alone, for the floor):

1. **paced**: each client posts one drawing every 2 s, 1 s and 0.5 s (10, 20
   and 40 requests/s offered in all, random phases), as 20 people using the
   page would; median and p95 of the latency each client sees. The latency
   target is checked at one post per second per client.
2. **closed loop**: each client posts again as soon as it has its answer,
   for 60 s (10 s in quick mode): recognitions per second and errors. With
   20 requests always in flight on 2 cores its latency is mostly queueing.

The serving processes' resident memory (gunicorn master + workers) is
sampled every second during the throughput phase, and their CPU time is
read before and after it. The clients run in this process, on the same two
cores as the server. ``MATHOCR_BENCH_WORKERS`` / ``MATHOCR_BENCH_THREADS``
(default 2 and ``mathocr serve``'s default threads: gthread workers; 1 thread
gives sync workers) try other gunicorn layouts.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import random
import secrets
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from mathocr.commands.serve import DEFAULT_THREADS

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 20
# Seconds between one client's posts in the paced phases: 20 clients post
# 10, 20 and 40 times a second in all. A person drawing pauses about a second
# before the page posts, so one post per second per client is already brisk.
PERIODS_S = (2.0, 1.0, 0.5)
TARGET_PERIOD_S = 1.0
WORKERS = int(os.environ.get("MATHOCR_BENCH_WORKERS", "2"))
THREADS = int(os.environ.get("MATHOCR_BENCH_THREADS", str(DEFAULT_THREADS)))
TARGETS = {"median_ms": 40.0, "p95_ms": 100.0, "throughput_rps": 40.0}


# --------------------------------------------------------------------------- the service


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _service_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECURE_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "web.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
            "MEDIA_ROOT": str(tmp / "media"),
            "STATIC_ROOT": str(tmp / "static"),
            "MATHOCR_ANON_RATE": "off",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            "SECURE_HSTS_SECONDS": "0",
        }
    )
    return env


def _start(tmp: Path, port: int, workers: int, threads: int) -> subprocess.Popen:
    log = open(tmp / "serve.log", "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [sys.executable, "-m", "mathocr", "serve", "--host", "127.0.0.1", "--port", str(port)]
        + ["--workers", str(workers), "--threads", str(threads)],
        cwd=ROOT,
        env=_service_env(tmp),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"mathocr serve exited: {(tmp / 'serve.log').read_text()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/schema/")
            if conn.getresponse().status == 200:
                conn.close()
                return proc
        except OSError:
            pass
        time.sleep(0.5)
    _stop(proc)
    raise RuntimeError("mathocr serve did not answer within 180 s")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _tree_pids(pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return [pid, *(int(c) for c in children)]


def _tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by *pid* and its children."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in _tree_pids(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def _tree_rss_mb(pid: int) -> tuple[float, list[float]]:
    """Total and per-process resident memory of *pid* and its children, in MB."""
    sizes = []
    for p in _tree_pids(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        except OSError:
            continue
    return sum(sizes), sizes


# --------------------------------------------------------------------------- the clients


def _payloads(n: int) -> list[bytes]:
    """JSON bodies with canvas drawings of real CROHME valid/ expressions."""
    from bench.images import evaluation_images

    crohme = Path(os.environ.get("MATHOCR_SHARED", ROOT.parent / "shared")) / "data" / "crohme"
    if not (crohme / "valid").is_dir():
        raise RuntimeError(f"needs the CROHME valid/ writers at {crohme}")
    bodies = []
    for image in evaluation_images(crohme, kinds=("canvas",), limit=n):
        url = "data:image/png;base64," + base64.b64encode(image.data).decode("ascii")
        bodies.append(json.dumps({"image": url}).encode())
    if not bodies:
        raise RuntimeError(f"no in-scope expressions under {crohme / 'valid'}")
    return bodies


def _in_process_ms(bodies: list[bytes], *, rounds: int) -> dict[str, float]:
    """The same images recognized in this process, one at a time: the floor under HTTP."""
    import mathocr

    images = [base64.b64decode(json.loads(b)["image"].split(",", 1)[1]) for b in bodies]
    mathocr.recognize(images[0])
    times = []
    for _ in range(rounds):
        for image in images:
            start = time.perf_counter()
            mathocr.recognize(image)
            times.append((time.perf_counter() - start) * 1000)
    return {
        "n": len(times),
        "median_ms": round(statistics.median(times), 1),
        "mean_ms": round(statistics.mean(times), 1),
    }


class Client:
    """One user: a keep-alive connection, posting drawings and timing the answers."""

    def __init__(self, port: int, bodies: list[bytes], seed: int) -> None:
        self.port = port
        self.bodies = bodies
        self.rng = random.Random(seed)
        self.conn: http.client.HTTPConnection | None = None
        self.latencies: list[float] = []
        self.errors: list[str] = []

    def post(self) -> None:
        body = self.rng.choice(self.bodies)
        start = time.perf_counter()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.conn.request(
                "POST",
                "/api/images/",
                body=body,
                headers={"Content-Type": "application/json", "Accept": "application/json"},
            )
            response = self.conn.getresponse()
            data = response.read()
            elapsed = time.perf_counter() - start
            if response.status != 201:
                self.errors.append(f"HTTP {response.status}: {data[:200]!r}")
            elif json.loads(data)["status"] != "done":
                self.errors.append(f"status {json.loads(data)['status']}")
            else:
                self.latencies.append(elapsed * 1000)
            if response.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
        except (OSError, http.client.HTTPException, ValueError, KeyError) as e:
            self.errors.append(repr(e))
            if self.conn is not None:
                self.conn.close()
            self.conn = None

    def paced(self, until: float, period: float) -> None:
        next_at = time.monotonic() + self.rng.uniform(0, period)
        while True:
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if time.monotonic() >= until:
                return
            self.post()
            next_at += period
            # a client that fell behind does not burst to catch up
            next_at = max(next_at, time.monotonic())

    def closed_loop(self, until: float) -> None:
        while time.monotonic() < until:
            self.post()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def _run_clients(clients: list[Client], target: Any, *args: Any) -> float:
    threads = [threading.Thread(target=target(c), args=args, daemon=True) for c in clients]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.monotonic() - start


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def _summary(latencies: list[float]) -> dict[str, float]:
    if not latencies:
        return {"n": 0}
    return {
        "n": len(latencies),
        "median_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(_percentile(latencies, 95), 1),
        "p99_ms": round(_percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1),
    }


# --------------------------------------------------------------------------- the benchmark


def run(*, quick: bool) -> dict:
    latency_s = 10.0 if quick else 30.0
    throughput_s = 10.0 if quick else 60.0
    bodies = _payloads(40)
    in_process = _in_process_ms(bodies, rounds=1 if quick else 3)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="mathocr-bench-serve-") as tmp_name:
        tmp = Path(tmp_name)
        port = _free_port()
        proc = _start(tmp, port, WORKERS, THREADS)
        try:
            # warm up every worker and thread (model loaded, connections open)
            warm = [Client(port, bodies, seed=1000 + i) for i in range(CLIENTS)]
            _run_clients(warm, lambda c: lambda: [c.post() for _ in range(3)])
            for c in warm:
                c.close()

            # one client alone: the floor under the loaded figures
            solo = Client(port, bodies, seed=1)
            for _ in range(30 if quick else 100):
                solo.post()
            solo.close()

            paced_phases = []
            for period in PERIODS_S:
                paced = [Client(port, bodies, seed=int(10 * period) + i) for i in range(CLIENTS)]
                until = time.monotonic() + latency_s
                _run_clients(paced, lambda c: c.paced, until, period)
                lat = [x for c in paced for x in c.latencies]
                err = [e for c in paced for e in c.errors]
                for c in paced:
                    c.close()
                paced_phases.append((period, lat, err))

            rss: list[float] = []
            per_process: list[float] = []
            stop_sampling = threading.Event()

            def sample() -> None:
                nonlocal per_process
                while not stop_sampling.wait(1.0):
                    total, sizes = _tree_rss_mb(proc.pid)
                    rss.append(total)
                    if total >= max(rss):
                        per_process = sizes

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            loop = [Client(port, bodies, seed=100 + i) for i in range(CLIENTS)]
            until = time.monotonic() + throughput_s
            server_cpu, client_cpu = _tree_cpu_s(proc.pid), time.process_time()
            elapsed = _run_clients(loop, lambda c: c.closed_loop, until)
            server_cpu = _tree_cpu_s(proc.pid) - server_cpu
            client_cpu = time.process_time() - client_cpu
            stop_sampling.set()
            sampler.join()
            loop_lat = [x for c in loop for x in c.latencies]
            loop_err = [e for c in loop for e in c.errors]
            for c in loop:
                c.close()
        finally:
            _stop(proc)
        # every accepted post is a row and a file
        with sqlite3.connect(tmp / "db.sqlite3") as db:
            rows = db.execute("SELECT status, COUNT(*) FROM ocr_postedimage GROUP BY status")
            stored = dict(rows.fetchall())
        files = sum(1 for p in (tmp / "media").rglob("*") if p.is_file())

    paced_results = [
        {
            "period_s": period,
            "offered_rps": round(CLIENTS / period, 1),
            "seconds": latency_s,
            **_summary(lat),
            "errors": len(err),
        }
        for period, lat, err in paced_phases
    ]
    latency = next(p for p in paced_results if p["period_s"] == TARGET_PERIOD_S)
    all_errors = [e for _, _, err in paced_phases for e in err]
    throughput = {
        **_summary(loop_lat),
        "errors": len(loop_err),
        "seconds": round(elapsed, 1),
        "rps": round(len(loop_lat) / elapsed, 1),
        # CPU time, unlike wall time, hardly depends on what else runs on the machine.
        "server_cpu_ms_per_request": round(1000 * server_cpu / max(1, len(loop_lat)), 1),
        "client_cpu_ms_per_request": round(1000 * client_cpu / max(1, len(loop_lat)), 1),
    }
    result = {
        "server": {
            "workers": WORKERS,
            "threads": THREADS,
            "worker_class": "gthread" if THREADS > 1 else "sync",
        },
        "clients": CLIENTS,
        "images": len(bodies),
        "mean_body_kb": round(statistics.mean(len(b) for b in bodies) / 1024, 1),
        "in_process": in_process,
        "single_client": _summary(solo.latencies) | {"errors": len(solo.errors)},
        "http_over_in_process": round(
            statistics.median(solo.latencies) / in_process["median_ms"], 2
        )
        if solo.latencies
        else None,
        "load_average": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
        "paced": paced_results,
        "latency": latency,
        "throughput": throughput,
        "rss_mb": {
            "peak_total": round(max(rss), 1) if rss else None,
            "per_process_at_peak": [round(x, 1) for x in per_process],
        },
        "stored": {"rows": stored, "files": files},
        "error_samples": (all_errors + loop_err)[:5],
        "targets": TARGETS,
    }
    result["meets_targets"] = bool(
        latency.get("median_ms", 1e9) <= TARGETS["median_ms"]
        and latency.get("p95_ms", 1e9) <= TARGETS["p95_ms"]
        and throughput["rps"] >= TARGETS["throughput_rps"]
        and not all_errors
        and not loop_err
        and not solo.errors
    )
    return result


def _cpu_note(thr: dict) -> str:
    server, client = thr.get("server_cpu_ms_per_request"), thr.get("client_cpu_ms_per_request")
    if not server or client is None:
        return ""
    return (
        f" In the closed loop the server used {server} ms of CPU per recognition and the "
        f"clients {client} ms, so two cores of its own would serve about "
        f"{2000 / (server + client):.0f} rec/s with these clients (derived, not measured)."
    )


def markdown(result: dict) -> str:
    lat, thr, solo = result["latency"], result["throughput"], result["single_client"]
    rss = result["rss_mb"]
    server = result["server"]
    t = result["targets"]

    def ms(row: dict, key: str) -> str:
        return f"{row[key]} ms" if key in row else "-"

    lines = [
        "## Web service over HTTP (`bench/bench_serve.py`)",
        "",
        f"`POST /api/images/` with canvas drawings of CROHME valid/ expressions "
        f"({result['images']} images, {result['mean_body_kb']} KB JSON bodies on average) "
        f"to `mathocr serve` (gunicorn, {server['workers']} {server['worker_class']} workers x "
        f"{server['threads']} threads, production settings, SQLite), {result['clients']} "
        "concurrent clients (keep-alive where the server allows it) on the same machine, "
        "without cookies (posting creates no session). Each answer must be "
        "a 201 with status `done`.",
        "",
        "| clients | load | requests | median | p95 | p99 | errors |",
        "|---|---|---|---|---|---|---|",
        f"| in-process `mathocr.recognize` | sequential | {result['in_process']['n']} "
        f"| {result['in_process']['median_ms']} ms | | | |",
        f"| 1 | sequential | {solo.get('n', 0)} | {ms(solo, 'median_ms')} "
        f"| {ms(solo, 'p95_ms')} | {ms(solo, 'p99_ms')} | {solo['errors']} |",
    ]
    for row in result["paced"]:
        bold = "**" if row is lat or row["period_s"] == lat["period_s"] else ""
        lines.append(
            f"| {result['clients']} | {bold}one post each per {row['period_s']:g} s "
            f"({row['offered_rps']:g} req/s){bold} | {row.get('n', 0)} "
            f"| {bold}{ms(row, 'median_ms')}{bold} | {bold}{ms(row, 'p95_ms')}{bold} "
            f"| {ms(row, 'p99_ms')} | {row['errors']} |"
        )
    lines += [
        f"| {result['clients']} | closed loop, **{thr['rps']} rec/s** over {thr['seconds']:.0f} s "
        f"| {thr.get('n', 0)} | {ms(thr, 'median_ms')} | {ms(thr, 'p95_ms')} "
        f"| {ms(thr, 'p99_ms')} | **{thr['errors']}** |",
        "",
        f"Targets: median ≤ {t['median_ms']:.0f} ms and p95 ≤ {t['p95_ms']:.0f} ms with "
        f"{result['clients']} clients each posting once per {lat['period_s']:g} s; "
        f"≥ {t['throughput_rps']:.0f} rec/s closed loop with 0 errors. "
        f"Met: **{'yes' if result['meets_targets'] else 'no'}**. "
        f"Serving memory (RSS, gunicorn master + workers): peak {rss['peak_total']} MB "
        f"({' + '.join(f'{x:.0f}' for x in rss['per_process_at_peak'])} MB). "
        f"Stored: {sum(result['stored']['rows'].values())} rows, "
        f"{result['stored']['files']} files. One HTTP request alone takes "
        f"{result['http_over_in_process']}x the in-process recognition (same images, same "
        f"run). Load average {result['load_average']['before']} before and "
        f"{result['load_average']['after']} after: other work on the machine shares its "
        "2 cores." + _cpu_note(thr),
        "",
        "In the closed loop 20 requests are always in flight on 2 cores, so its latency is "
        "queueing (Little's law: 20 / throughput); a 40 ms median for 20 back-to-back "
        "clients would take 500 recognitions a second.",
    ]
    return "\n".join(lines)
