"""1,000 hostile submissions to the citizens' portal, then every stored one looked at in Chromium.

Usage:
  .venv/bin/python benchmarks/bench_portal_hostile.py [--count 1000] [--chromium /usr/bin/chromium]

Runs `mangxanh db upgrade`, `demo load` and `mangxanh run` in a scratch folder and sends ``--count``
submissions drawn in turn from these kinds: scripts in every field (form and API), huge fields,
wrong types and shapes, broken and polyglot images, decompression bombs, oversized files, too
many files, malformed multipart bodies, forged or missing CSRF tokens. Each answer must be a
report stored (303 from the form, 201 from the API) or a refusal (4xx) whose body states the
problem in Vietnamese; a 5xx, a dropped connection or a traceback in the server's log fails.
Then, in headless Chromium, every stored report's status page (by its code) and every case
page's citizens' reports in the console (as an analyst) are opened: the payloads set
``window.__pwned`` or open a dialog if any of them ever runs. Prints JSON and PASS or FAIL.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
from PIL import Image


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])

SCRIPTS = [
    "<script>window.__pwned=1</script>", "\"><img src=x onerror=\"window.__pwned=2\">", "javascript:alert(3)",
    "<svg onload=alert(4)>", "{{7*7}}{% print(1) %}", "';alert(5);//",
    "<iframe srcdoc='<script>parent.__pwned=6</script>'>",
    "\u202e<b>đảo chiều</b>", "%3Cscript%3Ealert(7)%3C/script%3E", "<a href=\"javascript:window.__pwned=8\">bấm</a>",
]
VIETNAMESE = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệịỉĩọỏốồổỗộớờởỡợụủũứừửữựỳỵỷỹ]", re.IGNORECASE)


def _png(size: tuple[int, int] = (32, 32), **text: str) -> bytes:
    from PIL import PngImagePlugin

    out = io.BytesIO()
    info = PngImagePlugin.PngInfo()
    for key, value in text.items():
        info.add_text(key, value)
    Image.new("RGB", size, "blue").save(out, "PNG", pnginfo=info)
    return out.getvalue()


def _bomb() -> bytes:
    """A PNG header claiming 30,000 × 30,000 pixels of one colour: a few kB that decode to 2.7 GB."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")
    width = height = 30_000
    raw = zlib.compress(b"\0" * (width * 3 + 1) * 64, 9)
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\x02\0\0\0"
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def _images() -> list[tuple[str, bytes, str]]:
    good = _png()
    return [
        ("polyglot.png", b"GIF89a/*<html><script>window.__pwned=9</script>*/" + b"\0" * 64, "image/png"),
        ("trailing.png", good + b"<html><script>window.__pwned=10</script></html>", "image/png"),
        ("truncated.png", good[: len(good) // 2], "image/png"),
        ("random.jpg", os.urandom(2048), "image/jpeg"),
        ("vector.png", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(11)'/>", "image/svg+xml"),
        ("bomb.png", _bomb(), "image/png"),
        ("huge.png", _png((9000, 9000)), "image/png"),
        ("meta.png", _png(Comment="<script>window.__pwned=12</script>", GPS="21.03,105.85"), "image/png"),
        ("empty.png", b"", "image/png"),
        ("<script>alert(13)</script>.png", good, "text/html"),
        ("big.jpg", b"\xff\xd8\xff\xe0" + os.urandom(6 * 1024 * 1024), "image/jpeg"),
    ]


Attempt = Callable[[httpx.Client, str, int], httpx.Response]


def _form(client: httpx.Client, token: str, n: int, *, files: object = None, **fields: object) -> httpx.Response:
    data = {"csrf_token": token, "action": "send", "links": f"https://hostile-{n}.example.vn/p", "choice": "scam",
            **fields}
    return client.post("/phan-anh", data=data, files=files or {"screenshots": ("", b"", "application/octet-stream")})


def attempts() -> Iterator[tuple[str, Attempt]]:
    images = _images()
    for script in SCRIPTS:
        yield "script in description", lambda c, t, n, s=script: _form(c, t, n, description=s * 3)
        yield "script in link", lambda c, t, n, s=script: _form(c, t, n, links=f"https://x{n}.example.vn/{s}")
        yield "script as link", lambda c, t, n, s=script: _form(c, t, n, links=s)
        yield "script in e-mail", lambda c, t, n, s=script: _form(c, t, n, email=f"{s}@example.vn")
        yield "script in phone", lambda c, t, n, s=script: _form(c, t, n, phone=s)
        yield "script as choice", lambda c, t, n, s=script: _form(c, t, n, choice=s)
        yield "script as platform", lambda c, t, n, s=script: _form(c, t, n, platform=s)
        yield "script as code", lambda c, t, n, s=script: _form(c, t, n, code=s)
        yield "script through the API", lambda c, t, n, s=script: c.post("/api/v1/reports", json={
            "links": [f"https://api{n}.example.vn/"], "choice": "hate", "description": s})
        yield "script added later", lambda c, t, n, s=script: _add_later(c, t, n, s)
    yield "description too long", lambda c, t, n: _form(c, t, n, description="ă" * 5_001)
    yield "field over the part limit", lambda c, t, n: _form(c, t, n, description="x" * 200_000)
    yield "link too long", lambda c, t, n: _form(c, t, n, links="https://a.vn/" + "a" * 3_000)
    yield "too many links", lambda c, t, n: _form(c, t, n, links="\n".join(f"https://l{i}.vn" for i in range(50)))
    yield "private link", lambda c, t, n: _form(c, t, n, links="http://169.254.169.254/latest/meta-data/")
    yield "null bytes", lambda c, t, n: _form(c, t, n, description="a\x00b\x00c")
    yield "two choices", lambda c, t, n: c.post("/phan-anh", data={
        "csrf_token": t, "action": "send", "links": "https://y.vn", "choice": ["scam", "hate"]})
    yield "no CSRF token", lambda c, t, n: c.post("/phan-anh", data={"links": "https://z.vn", "choice": "scam"})
    yield "forged CSRF token", lambda c, t, n: _form(c, "forged", n)
    yield "API wrong types", lambda c, t, n: c.post("/api/v1/reports", json={"links": "https://a.vn", "choice": 5})
    yield "API nested objects", lambda c, t, n: c.post("/api/v1/reports", json={"links": [{"$gt": ""}], "choice": []})
    yield "API not JSON", lambda c, t, n: c.post("/api/v1/reports", content=b"\xff\xfe{", headers={
        "content-type": "application/json"})
    yield "API huge body", lambda c, t, n: c.post("/api/v1/reports", json={
        "links": ["https://a.vn"], "choice": "spam", "description": "x" * 10**6})
    for name, data, mime in images:
        yield f"image {name[:20]}", lambda c, t, n, f=(name, data, mime): _form(c, t, n, files={"screenshots": f})
    yield "six files", lambda c, t, n: _form(c, t, n, files=[("screenshots", (f"{i}.png", _png(), "image/png"))
                                                              for i in range(6)])
    yield "screenshot on the child path", lambda c, t, n: _form(c, t, n, choice="child_abuse", files={
        "screenshots": ("a.png", _png(), "image/png")})
    yield "multipart without its end", lambda c, t, n: c.post("/phan-anh", content=(
        f"--zz\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{t}\r\n--zz\r\n"
        "Content-Disposition: form-data; name=\"links\"\r\n\r\nhttps://a.vn").encode(),
        headers={"content-type": "multipart/form-data; boundary=zz"})
    yield "multipart with a wrong boundary", lambda c, t, n: c.post(
        "/phan-anh", content=b"--aa\r\n\r\n--aa--", headers={"content-type": "multipart/form-data; boundary=zz"})
    yield "multipart without a boundary", lambda c, t, n: c.post("/phan-anh", content=b"garbage",
                                                                 headers={"content-type": "multipart/form-data"})
    yield "declared length too large", lambda c, t, n: _raw(c, (
        b"POST /phan-anh HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=zz\r\n"
        b"Content-Length: 1000000000\r\nConnection: close\r\n\r\nx"))
    yield "header injection in a part", lambda c, t, n: c.post("/phan-anh", content=(
        f"--zz\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{t}\r\n--zz\r\n"
        "Content-Disposition: form-data; name=\"links\"\r\nX-Injected: 1\r\n\r\nhttps://inj.vn\r\n--zz\r\n"
        "Content-Disposition: form-data; name=\"choice\"\r\n\r\nscam\r\n--zz--\r\n").encode(),
        headers={"content-type": "multipart/form-data; boundary=zz"})
    yield "autosave with a script", lambda c, t, n: c.post("/phan-anh/nhap", data={
        "csrf_token": t, "links": f"https://auto{n}.vn", "description": SCRIPTS[n % len(SCRIPTS)]})
    yield "status lookup with a script", lambda c, t, n: c.get("/tra-cuu", params={"ma": SCRIPTS[n % len(SCRIPTS)]})


def _raw(client: httpx.Client, request: bytes) -> httpx.Response:
    """A request no well-behaved client would send (a body shorter than it declares), over a bare socket."""
    url = httpx.URL(str(client.base_url))
    with socket.create_connection((url.host, url.port or 80), timeout=30) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _sep, body = answer.partition(b"\r\n\r\n")
    return httpx.Response(int(head.split(b" ", 2)[1]), content=body)


def _add_later(client: httpx.Client, token: str, n: int, script: str) -> httpx.Response:
    sent = _form(client, token, n, description="lần đầu")
    if sent.status_code != 303:
        return sent
    code = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", client.get("/phan-anh/da-gui").text)
    assert code is not None
    return client.post("/tra-cuu/bo-sung", data={"csrf_token": token, "code": code.group(), "text": script})


def _clear(response: httpx.Response) -> bool:
    """A refusal that says what is wrong in Vietnamese (HTML page or JSON detail)."""
    body = response.text
    return 400 <= response.status_code < 500 and bool(VIETNAMESE.search(body))


def send_all(base: str, count: int) -> tuple[Counter[str], list[str], list[str]]:
    kinds = list(attempts())
    outcomes: Counter[str] = Counter()
    codes: list[str] = []
    failures: list[str] = []
    with httpx.Client(base_url=base, timeout=60, follow_redirects=False) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/phan-anh").text).group(1)  # type: ignore[union-attr]
        for n in range(count):
            kind, attempt = kinds[n % len(kinds)]
            try:
                response = attempt(client, token, n)
            except httpx.TransportError as exc:
                failures.append(f"{kind}: {type(exc).__name__}")
                continue
            status = response.status_code
            if status in (200, 201, 303):
                outcomes["stored or answered"] += 1
                if status == 303 and response.headers.get("location") == "/phan-anh/da-gui":
                    code = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", client.get("/phan-anh/da-gui").text)
                    if code:
                        codes.append(code.group())
                elif status == 201:
                    codes.append(response.json()["code"])
            elif _clear(response):
                outcomes[f"refused {status}"] += 1
            else:
                failures.append(f"{kind}: {status} {response.text[:120]!r}")
    return outcomes, codes, failures


def look_in_browser(base: str, codes: list[str], chromium: str, login: tuple[str, str], db: Path) -> list[str]:
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sqlite3.connect(db) as conn:
        case_ids = [row[0] for row in conn.execute(
            "SELECT DISTINCT case_id FROM citizen_report_links WHERE case_id IS NOT NULL")]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page()
        page.on("dialog", lambda dialog: (problems.append(f"dialog {dialog.message!r} on {page.url}"),
                                          dialog.dismiss()))

        def check(url: str) -> None:
            page.goto(url)
            if page.evaluate("window.__pwned !== undefined || (window.parent && window.parent.__pwned !== undefined)"):
                problems.append(f"script ran on {url}")

        for code in codes:
            check(f"{base}/tra-cuu?ma={code}")
        page.goto(f"{base}/login")
        page.fill("input[name=username]", login[0])
        page.fill("input[name=password]", login[1])
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/cases")
        for case_id in case_ids:
            check(f"{base}/cases/{case_id}/reports")
            check(f"{base}/cases/{case_id}")
        browser.close()
    return [*problems, f"{len(codes)} status pages and {len(case_ids)} cases' pages looked at"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--chromium", default=os.environ.get("MANGXANH_TEST_CHROMIUM", "/usr/bin/chromium"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        var = Path(home) / "var"
        db = var / "mangxanh.db"
        env = {**os.environ, "MANGXANH_VAR_DIR": str(var), "MANGXANH_PORT": str(free_port()),
               "MANGXANH_DATABASE_URL": f"sqlite:///{db}", "MANGXANH_FETCH_TIMEOUT_S": "2",
               "MANGXANH_REPORT_LIMIT_PER_ADDRESS": "100000"}
        env.pop("MANGXANH_REDIS_URL", None)
        for command in (["db", "upgrade"], ["demo", "load"]):
            subprocess.run([sys.executable, "-m", "mangxanh.cli", *command], env=env, cwd=home, check=True,  # noqa: S603
                           capture_output=True, timeout=300)
        logins = dict(line.split("\t")[:2] for line in (var / "demo-logins.txt").read_text().splitlines())
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
            started = time.perf_counter()
            outcomes, codes, failures = send_all(base, args.count)
            sent_s = time.perf_counter() - started
            with sqlite3.connect(db) as conn:  # let the filing finish before looking at the cases
                for _ in range(600):
                    if not conn.execute("SELECT count(*) FROM citizen_reports WHERE state='submitted'").fetchone()[0]:
                        break
                    time.sleep(1)
            seen = look_in_browser(base, codes, args.chromium, ("chuyenvien", logins["chuyenvien"]), db)
        finally:
            server.terminate()
            server.wait(timeout=60)
        tracebacks = log.read_text(errors="replace").count("Traceback")
    problems = failures + seen[:-1]
    result = {"submissions": args.count, "kinds": len(list(attempts())), "seconds": round(sent_s, 1),
              "outcomes": dict(outcomes), "codes_followed": len(codes), "browser": seen[-1],
              "failures": failures[:20], "browser_problems": seen[:-1][:20], "server_tracebacks": tracebacks}
    print(json.dumps(result, indent=1, ensure_ascii=False))
    ok = not problems and tracebacks == 0
    print(f"{'PASS' if ok else 'FAIL'}: {len(failures)} unclear or failed answers, {len(seen) - 1} pages where a "
          f"payload ran, {tracebacks} tracebacks")


if __name__ == "__main__":
    main()
