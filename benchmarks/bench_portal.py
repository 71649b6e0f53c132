"""Citizens sending reports on loopback: 100 reports a second for 60 s to the embedded default.

Usage:
  .venv/bin/python benchmarks/bench_portal.py [--rate 100] [--seconds 60] [--reporters 300]

Runs `mangxanh db upgrade`, `demo load` and `mangxanh run` (SQLite, in-process workers: the
embedded default) in a scratch folder, then sends the report form as a browser without
JavaScript does (multipart, the CSRF token of the page the reporter opened) at a fixed rate, open
loop (a slow answer does not slow the next report down), from ``--reporters`` reporters, each on
its own loopback address (127.0.0.x), so the per-address flood limit applies as in life. 30 % of
the reports name one of 200 "viral" links (they join cases), 5 % carry a screenshot, 2 % are child
abuse. The server files the reports into cases meanwhile (fetching each link: here the addresses
do not resolve, as for pages a sandbox cannot reach).

Prints JSON and PASS when every report was answered 303 (sent) with no error, no dropped
connection and no traceback in the server's log, with p95 ≤ 300 ms; then how long filing took.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
from PIL import Image


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])

CHOICES = ["scam", "false_news", "insult", "hate", "personal_data", "impersonation", "spam", "gambling", "other"]


def _screenshot() -> bytes:
    out = io.BytesIO()
    rng = random.Random(7)
    image = Image.new("RGB", (720, 1280), "white")
    for y in range(0, 1280, 40):
        image.paste((rng.randrange(256), rng.randrange(256), rng.randrange(256)), (0, y, 720, y + 20))
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))], 1) if ordered else 0.0


async def _reporter(base: str, number: int) -> tuple[httpx.AsyncClient, str]:
    transport = httpx.AsyncHTTPTransport(local_address=f"127.0.{1 + number // 250}.{2 + number % 250}")
    client = httpx.AsyncClient(base_url=base, transport=transport, timeout=30, follow_redirects=False)
    page = (await client.get("/phan-anh")).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None, page[:300]
    return client, token.group(1)


async def load(base: str, *, rate: float, seconds: float, reporters: int) -> dict[str, object]:
    rng = random.Random(2026)
    clients = [await _reporter(base, n) for n in range(reporters)]
    shot = _screenshot()
    viral = [f"https://www.facebook.com/trang-{n}/posts/{1000 + n}?mibextid=abc" for n in range(200)]
    outcomes: Counter[str] = Counter()
    latencies: list[float] = []

    async def send(number: int) -> None:
        client, token = clients[number % reporters]
        choice = "child_abuse" if rng.random() < 0.02 else rng.choice(CHOICES)
        link = rng.choice(viral) if rng.random() < 0.3 else f"https://tin-{number}.example.vn/bai/{number}"
        data = {"csrf_token": token, "action": "send", "links": link, "choice": choice,
                "description": f"Phản ánh số {number}: nội dung có dấu hiệu vi phạm, đề nghị xem xét."}
        attach = choice != "child_abuse" and rng.random() < 0.05
        files = {"screenshots": ("anh.jpg", shot, "image/jpeg") if attach else ("", b"", "application/octet-stream")}
        started = time.perf_counter()
        try:
            response = await client.post("/phan-anh", data=data, files=files)
            outcome = str(response.status_code)
        except httpx.TransportError as exc:
            outcome = type(exc).__name__
        latencies.append((time.perf_counter() - started) * 1000)
        outcomes[outcome] += 1

    total = int(rate * seconds)
    tasks = []
    begun = time.perf_counter()
    for number in range(total):
        delay = begun + number / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(number)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - begun
    for client, _token in clients:
        await client.aclose()
    return {"reports": total, "seconds": round(elapsed, 1), "reports_per_s": round(total / elapsed, 1),
            "outcomes": dict(outcomes), "p50_ms": percentile(latencies, 0.5), "p95_ms": percentile(latencies, 0.95),
            "p99_ms": percentile(latencies, 0.99), "max_ms": round(max(latencies), 1)}


def _waiting(db: Path) -> tuple[int, int]:
    with sqlite3.connect(db) as conn:
        waiting = conn.execute("SELECT count(*) FROM citizen_reports WHERE state = 'submitted'").fetchone()[0]
        filed = conn.execute("SELECT count(*) FROM citizen_reports WHERE state = 'filed'").fetchone()[0]
    return int(waiting), int(filed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--reporters", type=int, default=300)
    parser.add_argument("--filing-timeout", type=float, default=900)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        db = Path(home) / "var" / "mangxanh.db"
        env = {**os.environ, "MANGXANH_VAR_DIR": str(Path(home) / "var"), "MANGXANH_PORT": str(free_port()),
               "MANGXANH_DATABASE_URL": f"sqlite:///{db}", "MANGXANH_FETCH_TIMEOUT_S": "2"}
        env.pop("MANGXANH_REDIS_URL", None)
        for command in (["db", "upgrade"], ["demo", "load"]):
            subprocess.run([sys.executable, "-m", "mangxanh.cli", *command], env=env, cwd=home, check=True,  # noqa: S603
                           capture_output=True, timeout=300)
        log = Path(home) / "server.log"
        with log.open("wb") as out:
            server = subprocess.Popen([sys.executable, "-m", "mangxanh.cli", "run"], env=env, cwd=home, stdout=out,
                                      stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{env['MANGXANH_PORT']}"
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            # The detectors load at the first filing: started here, not measured.
            warm = httpx.post(f"{base}/api/v1/reports", json={"links": ["https://khoi-dong.example.vn/"],
                                                              "choice": "spam"}, timeout=60)
            assert warm.status_code == 201, warm.text
            while _waiting(db)[0]:
                time.sleep(0.5)
            result = asyncio.run(load(base, rate=args.rate, seconds=args.seconds, reporters=args.reporters))
            started = time.perf_counter()
            while _waiting(db)[0] and time.perf_counter() - started < args.filing_timeout:
                time.sleep(1)
            waiting, filed = _waiting(db)
            result.update({"filed": filed, "still_waiting": waiting,
                           "filing_after_load_s": round(time.perf_counter() - started, 1)})
        finally:
            server.terminate()
            server.wait(timeout=60)
        result["server_tracebacks"] = log.read_text(errors="replace").count("Traceback")
    print(json.dumps(result, indent=1))
    sent = result["outcomes"].get("303", 0)  # type: ignore[attr-defined]
    ok = sent == result["reports"] and result["server_tracebacks"] == 0 and result["p95_ms"] <= 300  # type: ignore[operator]
    print(f"{'PASS' if ok else 'FAIL'}: {sent} of {result['reports']} sent, p95 {result['p95_ms']} ms")


if __name__ == "__main__":
    main()
