"""A contest with 5,000 participants on the embedded default, on loopback, within 10 minutes.

Usage:
  .venv/bin/python benchmarks/bench_contests.py [--participants 5000] [--minutes 10] [--questions 20]

Runs `mangxanh db upgrade`, `demo load` (the shipped question bank) and `mangxanh run` (SQLite,
in-process workers) in a scratch folder, creates a public contest of one round open now with 50
schools, then plays each participant as a browser with JavaScript does: the contest page, the
registration form (CSRF token, session cookie), the start of the round with a guess, then each
answer through the JSON API as it is chosen, and the submission. Participants arrive evenly over
the first half of the window and take 6 to 14 s per question, so that everyone has submitted
within ``--minutes``. Each participant keeps one keep-alive connection, like a browser tab;
the client is a minimal HTTP/1.1 one on asyncio, so that the load generator takes as little of
the machine's two cores from the server as it can.

Prints JSON (p50/p95/p99 per kind of request, errors, how many finished in time) and PASS when no
request failed, every participant submitted within the window, and the p95 of an answer save and
of the submission are ≤ 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
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
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlencode

import httpx

SETUP = """
import sys
from datetime import timedelta
from mangxanh.config import get_settings
from mangxanh.db import make_engine, make_session_factory, unit_of_work, utcnow
from mangxanh.domains.accounts.models import User
from mangxanh.domains.education.contests.models import ContestKind
from mangxanh.domains.education.contests.service import ContestPlan, RoundPlan, UnitPlan, create_contest
from sqlalchemy import select

settings = get_settings()
factory = make_session_factory(make_engine(settings.effective_database_url))
with unit_of_work(factory) as session:
    officer = session.scalars(select(User).where(User.username == "giaoduc")).one()
    now = utcnow()
    contest = create_contest(session, user=officer, plan=ContestPlan(
        title="Đo tải: cuộc thi 5.000 người", kind=ContestKind.PUBLIC,
        rounds=(RoundPlan(now - timedelta(minutes=1), now + timedelta(minutes=int(sys.argv[1]) + 5),
                          int(sys.argv[1]) * 60, int(sys.argv[2])),),
        units=tuple(UnitPlan(f"Quận {d}", f"Trường THCS số {d}-{s}", 400) for d in range(10) for s in range(5))))
    print(contest.slug)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1) if ordered else 0.0


FORM, JSON = "application/x-www-form-urlencoded", "application/json"
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô")
MIDDLE = ("Văn", "Thị", "Minh", "Thu", "Đức", "Ngọc", "Quang", "Thanh", "Hải", "Bảo")
GIVEN = ("An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hùng", "Lan", "Linh", "Mai", "Nam", "Phương", "Quân",
         "Sơn", "Trang", "Tú", "Vy", "Yến", "Khoa", "Hương")


def _name(number: int) -> str:
    return f"{FAMILY[number % 10]} {MIDDLE[number // 10 % 10]} {GIVEN[number // 100 % 20]}"


class Tab:
    """One participant's browser tab: a keep-alive connection and its cookies."""

    def __init__(self, port: int) -> None:
        self.port, self.cookies = port, {}
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.used = 0.0

    async def request(self, method: str, path: str, body: bytes = b"", content_type: str = ""
                      ) -> tuple[int, dict[str, str], bytes]:
        # The server closes a connection idle for 5 s (uvicorn's keep-alive): as a browser does,
        # a tab that thought for longer opens a new one.
        if self.writer is not None and time.monotonic() - self.used > 4.0:
            self.close()
            self.writer = None
        answer = await self._exchange(method, path, body, content_type)
        self.used = time.monotonic()
        return answer

    async def _exchange(self, method: str, path: str, body: bytes, content_type: str
                        ) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}", "Accept-Language: vi"]
        if self.cookies:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if body or method == "POST":
            head += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        assert self.reader is not None
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("closed")
        status = int(status_line.split()[1])
        headers: dict[str, str] = {}
        while True:
            line = (await self.reader.readline()).decode("latin-1").strip()
            if not line:
                break
            name, _sep, value = line.partition(":")
            name, value = name.lower(), value.strip()
            if name == "set-cookie":
                cookie, _s, _rest = value.partition(";")
                key, _e, val = cookie.partition("=")
                self.cookies[key] = val
            headers[name] = value
        data = await self.reader.readexactly(int(headers.get("content-length", "0")))
        return status, headers, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def participant(number: int, *, port: int, slug: str, questions: int, delay: float,
                      timings: dict[str, list[float]], outcomes: Counter[str], finished: list[float],
                      started_at: float) -> None:
    await asyncio.sleep(delay)
    rng = random.Random(number)
    tab = Tab(port)

    async def timed(kind: str, method: str, path: str, body: bytes = b"", ctype: str = ""
                    ) -> tuple[int, dict[str, str], bytes]:
        began = time.perf_counter()
        try:
            status, headers, data = await tab.request(method, path, body, ctype)
        except (OSError, ConnectionError, asyncio.IncompleteReadError) as exc:
            outcomes[f"{kind} {type(exc).__name__}"] += 1
            raise
        timings[kind].append((time.perf_counter() - began) * 1000)
        outcomes[f"{kind} {status}"] += 1
        return status, headers, data

    try:
        _s, _h, page = await timed("page", "GET", f"/thi/{slug}")
        csrf = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
        units = re.findall(rb'<option value="(\d+)"', page)
        form = urlencode({"csrf_token": csrf, "full_name": _name(number), "birth_date": "05/09/2010",
                          "unit_id": rng.choice(units).decode(), "phone": f"09{number:08d}"}).encode()
        status, _h, _d = await timed("register", "POST", f"/thi/{slug}/dang-ky", form, FORM)
        if status != 303:
            return
        start = urlencode({"csrf_token": csrf, "guess": str(rng.randrange(3000, 7000))}).encode()
        status, headers, _d = await timed("start", "POST", f"/thi/{slug}/vong/1", start, FORM)
        if status != 303:
            return
        key = headers["location"].rsplit("/", 1)[1]
        status, _h, data = await timed("state", "GET", f"/api/v1/thi/bai/{key}")
        state = json.loads(data)
        for position in range(questions):
            await asyncio.sleep(rng.uniform(6, 14))
            answer = json.dumps({"position": position, "question_id": state["question"]["id"],
                                 "choice": rng.randrange(4)}).encode()
            status, _h, data = await timed("answer", "POST", f"/api/v1/thi/bai/{key}/tra-loi", answer, JSON)
            if status != 200:
                return
            state = json.loads(data)
            if state["state"] != "in_progress":
                break
        if state["state"] == "in_progress":
            await timed("submit", "POST", f"/api/v1/thi/bai/{key}/nop", b"", "application/json")
        else:
            # The last answer handed the attempt in: that answer is the submission.
            timings["submit"].append(timings["answer"][-1])
        finished.append(time.perf_counter() - started_at)
    except (OSError, ConnectionError, asyncio.IncompleteReadError, AttributeError, KeyError, ValueError) as exc:
        outcomes[f"client {type(exc).__name__}"] += 1
    finally:
        tab.close()


async def load(port: int, slug: str, *, participants: int, minutes: float, questions: int) -> dict[str, object]:
    timings: dict[str, list[float]] = defaultdict(list)
    outcomes: Counter[str] = Counter()
    finished: list[float] = []
    started = time.perf_counter()
    arrivals = minutes * 60 / 2
    tasks = [asyncio.ensure_future(participant(n, port=port, slug=slug, questions=questions,
                                               delay=arrivals * n / participants, timings=timings,
                                               outcomes=outcomes, finished=finished, started_at=started))
             for n in range(participants)]
    # A server that cannot keep up would keep the run going for ever: two minutes after the window
    # the participants still answering are stopped and counted as not submitted in time.
    _done, late = await asyncio.wait(tasks, timeout=minutes * 60 + 120)
    for task in late:
        task.cancel()
    outcomes["client stopped after the window"] += len(late)
    elapsed = time.perf_counter() - started
    return {"participants": participants, "questions": questions, "window_s": minutes * 60,
            "requests_per_s": round(sum(len(v) for v in timings.values()) / elapsed, 1),
            "submitted": len(finished), "within_window": sum(1 for t in finished if t <= minutes * 60),
            "last_submission_s": round(max(finished), 1) if finished else None,
            "outcomes": dict(sorted(outcomes.items())),
            "latency_ms": {kind: {"n": len(v), "p50": percentile(v, 0.5), "p95": percentile(v, 0.95),
                                  "p99": percentile(v, 0.99)} for kind, v in sorted(timings.items())}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=5000)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--questions", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        db = Path(home) / "var" / "mangxanh.db"
        port = free_port()
        env = {**os.environ, "MANGXANH_VAR_DIR": str(Path(home) / "var"), "MANGXANH_PORT": str(port),
               "MANGXANH_DATABASE_URL": f"sqlite:///{db}"}
        env.pop("MANGXANH_REDIS_URL", None)
        for command in (["db", "upgrade"], ["demo", "load"]):
            subprocess.run([sys.executable, "-m", "mangxanh.cli", *command], env=env, cwd=home, check=True,  # noqa: S603
                           capture_output=True, timeout=300)
        slug = subprocess.run([sys.executable, "-c", SETUP, str(int(args.minutes)), str(args.questions)],  # noqa: S603
                              env=env, cwd=home, check=True, capture_output=True, text=True).stdout.strip()
        log = Path(home) / "server.log"
        with log.open("wb") as out:
            server = subprocess.Popen([sys.executable, "-m", "mangxanh.cli", "run"], env=env, cwd=home, stdout=out,
                                      stderr=subprocess.STDOUT)
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            result = asyncio.run(load(port, slug, participants=args.participants, minutes=args.minutes,
                                      questions=args.questions))
        finally:
            server.terminate()
            server.wait(timeout=60)
        with sqlite3.connect(db) as conn:
            rows = conn.execute("SELECT state, count(*), sum(json_array_length(answers)) FROM contest_attempts "
                                "GROUP BY state").fetchall()
        result["attempts_by_state"] = {state: {"attempts": n, "answers": answers} for state, n, answers in rows}
        result["server_tracebacks"] = log.read_text(errors="replace").count("Traceback")
    print(json.dumps(result, indent=1))
    latency = {"answer": {"p95": float("inf")}, "submit": {"p95": float("inf")}, **result["latency_ms"]}  # type: ignore[dict-item]
    errors = {k: v for k, v in result["outcomes"].items()  # type: ignore[attr-defined]
              if not k.endswith((" 200", " 303"))}
    ok = (not errors and result["server_tracebacks"] == 0 and result["within_window"] == args.participants
          and latency["answer"]["p95"] <= 300 and latency["submit"]["p95"] <= 300)  # type: ignore[index]
    print(f"{'PASS' if ok else 'FAIL'}: {result['within_window']} of {args.participants} submitted within the window, "
          f"answer p95 {latency['answer']['p95']} ms, submission p95 {latency['submit']['p95']} ms, "  # type: ignore[index]
          f"errors {errors}")


if __name__ == "__main__":
    main()
