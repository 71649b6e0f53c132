"""Trends (issue 14): the planted rumour of the demo found rising, the false alarms of the plain demo
history, and the topics page over a million items.

Usage: .venv/bin/python benchmarks/bench_trends.py [--volume-db URL [--rebuild]] [--requests 40]

Without ``--volume-db``: the demo is loaded into a scratch database as ``make run`` loads it, and
each of its days is judged as the trends page judges it; printed are the first copy of the planted
rumour (Hồ Gươm) and the first day its terms burst, and the bursts on every day before the rumour
(the demo's plain history: each is a false alarm).

With ``--volume-db`` (a database filled by volume_data.py, e.g. by bench_queue.py --generate or
bench_correction_scan.py --generate): its items are counted once (``--rebuild``, or when nothing was
counted yet), then the day's and the week's topics pages and a topic's page are requested through the
app and their p50/p95 printed (target: p95 ≤ 500 ms).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from mangxanh.config import load_settings
from mangxanh.db import make_engine, make_session_factory, unit_of_work
from mangxanh.demo.loader import load_demo
from mangxanh.domains.content.models import StoredItem
from mangxanh.domains.content.service import default_analysis
from mangxanh.domains.outreach.models import TrendCount
from mangxanh.domains.outreach.trend_counts import rebuild_counts
from mangxanh.domains.outreach.trends import Period, latest_day, topics
from mangxanh.i18n import LOCAL_TZ
from mangxanh.migrate import upgrade
from mangxanh.web.app import create_app

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_queue import log_in, measure, staff_login
from volume_data import BENCH_AUDIT_KEY

RUMOUR_TERMS = {"ho guom", "lap ho"}


def demo_figures() -> dict[str, object]:
    with tempfile.TemporaryDirectory() as var:
        url = f"sqlite:///{var}/demo.db"
        upgrade(url)
        factory = make_session_factory(make_engine(url), audit_key=BENCH_AUDIT_KEY)
        load_demo(factory, analysis=default_analysis(threshold=0.5), var_dir=Path(var))
        with unit_of_work(factory, reads_only=True) as session:
            first_copy = session.scalar(select(func.min(StoredItem.published_at))
                                        .where(StoredItem.external_id.like("rumour_%")))
            assert first_copy is not None
            rumour_day = first_copy.astimezone(LOCAL_TZ).date()
            first = session.scalar(select(func.min(TrendCount.day)))
            last = latest_day(session)
            assert first is not None and last is not None
            plain_days, false_alarms, burst_day = 0, [], None
            day = first + timedelta(days=1)  # the first day has no past to be judged against
            while day <= last:
                _, found = topics(session, period=Period.ending(day, 1), limit=300)
                bursts = [t.label for t in found if t.burst.is_burst]
                if day < rumour_day:
                    plain_days += 1
                    false_alarms += [f"{day.isoformat()}: {label}" for label in bursts]
                elif burst_day is None and RUMOUR_TERMS.intersection(t.term for t in found if t.burst.is_burst):
                    burst_day = day
                day += timedelta(days=1)
    return {"rumour_first_copy": first_copy.isoformat(), "rumour_burst_day": burst_day.isoformat() if burst_day
            else None, "fired_on_first_day": burst_day == rumour_day, "plain_days_judged": plain_days,
            "false_alarms": len(false_alarms), "false_alarm_days_rate": round(
                len({a.split(":")[0] for a in false_alarms}) / max(plain_days, 1), 3), "false_alarm_list": false_alarms}


def volume_figures(url: str, *, rebuild: bool, requests: int) -> dict[str, object]:
    factory = make_session_factory(make_engine(url), audit_key=BENCH_AUDIT_KEY)
    with unit_of_work(factory, reads_only=True) as session:
        counted = session.scalar(select(func.count()).select_from(TrendCount))
    figures: dict[str, object] = {}
    if rebuild or not counted:
        started = time.perf_counter()
        figures["items_counted"] = rebuild_counts(factory, threshold=0.5)
        figures["rebuild_s"] = round(time.perf_counter() - started, 1)
    with unit_of_work(factory, reads_only=True) as session:
        day = latest_day(session) or date.today()
        figures["trend_rows"] = session.scalar(select(func.count()).select_from(TrendCount))
        _, week = topics(session, period=Period.ending(day, 7), limit=1)
    term = week[0].term if week else "ha noi"
    username, password = staff_login(url)
    with tempfile.TemporaryDirectory() as var:
        settings = load_settings(database_url=url, var_dir=Path(var), audit_key=BENCH_AUDIT_KEY.decode())
        app = create_app(settings, freeze_heap=True)
        with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
            log_in(client, username, password)
            figures["pages"] = {name: measure(client, path, requests) for name, path in {
                "topics_day": f"/trends?day={day.isoformat()}", "topics_week": f"/trends?day={day.isoformat()}&span=7",
                "topic": f"/trends/topic?term={term.replace(' ', '+')}&day={day.isoformat()}"}.items()}
    worst = max(p["p95_ms"] for p in figures["pages"].values())  # type: ignore[attr-defined]
    figures["verdict"] = "PASS" if worst <= 500 else "FAIL"
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--volume-db", default="")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    result: dict[str, object] = {"demo": demo_figures()}
    if args.volume_db:
        result["volume"] = volume_figures(args.volume_db, rebuild=args.rebuild, requests=args.requests)
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
