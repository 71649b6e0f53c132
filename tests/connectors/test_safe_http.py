import ipaddress
import time

import pytest

from mangxanh.config import load_settings
from mangxanh.connectors.safe_http import (
    FetchError,
    FetchPolicy,
    HttpStatusError,
    fetch,
    is_public_address,
    refuse_private_source,
)
from mangxanh.errors import MangXanhError

PUBLIC_ONLY = FetchPolicy(allow_private=False, timeout_s=2.0)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:{port}/", "http://localhost:{port}/", "http://[::1]:{port}/", "http://169.254.169.254/latest/",
    "http://10.0.0.1/", "http://192.168.1.1/", "http://[::ffff:127.0.0.1]:{port}/",
    "http://0.0.0.0:{port}/",
    "http://2130706433:{port}/", "http://100.64.0.1/", "http://224.0.0.1/",
])
def test_private_and_local_addresses_are_refused_before_any_connection(http_server, url: str) -> None:
    http_server.add("/", "<p>secret</p>")
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch(url.format(port=http_server.port), PUBLIC_ONLY)
    assert "private, local or reserved" in str(caught.value)
    assert time.monotonic() - started < 1.5
    assert http_server.requests == []


def test_refusal_is_a_translatable_domain_error() -> None:
    with pytest.raises(MangXanhError) as caught:
        fetch("http://10.0.0.1/", PUBLIC_ONLY)
    error = caught.value
    # An address written as such is named once; a host name with the address it resolves to.
    assert error.message == "The address {address} is private, local or reserved; it is not fetched"
    assert error.params == {"address": "10.0.0.1"}
    with pytest.raises(MangXanhError) as named:
        fetch("http://localhost/", PUBLIC_ONLY)
    assert named.value.message == ("Address {address} of {host} is private, local or reserved; "
                                   "fetching it is not allowed")
    assert named.value.params["host"] == "localhost"


def test_a_source_address_gets_the_fetch_check_when_it_is_added() -> None:
    for url in ("http://127.0.0.1/feed", "http://localhost:8080/rss", "http://[fe80::1]/", "http://10.1.2.3/"):
        with pytest.raises(FetchError):
            refuse_private_source(url, PUBLIC_ONLY)
    refuse_private_source("http://127.0.0.1/feed", FetchPolicy(allow_private=True, timeout_s=2.0))
    # Not resolvable now: accepted, and each run checks it again.
    refuse_private_source("https://ten-mien-khong-ton-tai.invalid/rss", PUBLIC_ONLY)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "javascript:alert(1)",
                                 "gopher://127.0.0.1:70/", "http://user:pw@example.com/", "not a url", "http:///x"])
def test_only_plain_http_addresses_are_fetched(url: str) -> None:
    with pytest.raises(FetchError):
        fetch(url, PUBLIC_ONLY)


def test_public_address_classification() -> None:
    def public(text: str) -> bool:
        return is_public_address(ipaddress.ip_address(text))

    assert public("93.184.216.34") and public("2606:2800:220:1:248:1893:25c8:1946")
    unspecified = "0.0.0.0"  # noqa: S104 - an address under test; nothing binds to it
    for text in ("127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.0.1", "169.254.169.254", unspecified, "100.64.0.1",
                 "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "ff02::1",
                 "::ffff:10.0.0.1", "::ffff:127.0.0.1", "2002:7f00:1::1", "64:ff9b::a00:1"):
        assert not public(text), text


def test_a_plain_page_is_fetched_with_our_user_agent(http_server, local_policy) -> None:
    http_server.add("/page", "<p>Xin chào</p>", headers={"ETag": '"v1"'})
    result = fetch(http_server.url("/page"), local_policy)
    assert result.status == 200 and not result.not_modified
    assert result.text() == "<p>Xin chào</p>"
    assert result.content_type == "text/html" and result.charset == "utf-8"
    assert result.headers["etag"] == '"v1"'
    assert http_server.requests[0].headers["user-agent"] == local_policy.user_agent
    assert http_server.requests[0].headers["host"] == f"127.0.0.1:{http_server.port}"


def test_conditional_request_gives_not_modified(http_server, local_policy) -> None:
    def handler(request) -> None:
        unchanged = request.headers.get("If-None-Match") == '"v7"'
        request.send_response(304 if unchanged else 200)
        request.send_header("ETag", '"v7"')
        request.send_header("Content-Length", "0" if unchanged else "4")
        request.end_headers()
        if not unchanged:
            request.wfile.write(b"body")

    http_server.add("/cond", handler=handler)
    assert fetch(http_server.url("/cond"), local_policy).body == b"body"
    result = fetch(http_server.url("/cond"), local_policy, etag='"v7"', last_modified="Fri, 20 Nov 2026 01:00:00 GMT")
    assert result.not_modified and result.status == 304 and result.body == b""
    assert http_server.requests[-1].headers["if-modified-since"] == "Fri, 20 Nov 2026 01:00:00 GMT"


def test_error_status_is_reported_with_its_code(http_server, local_policy) -> None:
    http_server.add("/gone", "gone", status=410)
    with pytest.raises(HttpStatusError) as caught:
        fetch(http_server.url("/gone"), local_policy)
    assert caught.value.status == 410 and "HTTP 410" in str(caught.value)


def test_a_page_that_never_ends_is_cut_by_the_deadline(http_server) -> None:
    http_server.trickle_body("/slow")
    policy = FetchPolicy(allow_private=True, timeout_s=1.0, max_bytes=10_000_000)
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch(http_server.url("/slow"), policy)
    assert "within 1.0 seconds" in str(caught.value)
    assert time.monotonic() - started < 2.5


def test_headers_that_never_end_are_cut_by_the_deadline(http_server) -> None:
    http_server.trickle_headers("/slow-headers")
    started = time.monotonic()
    with pytest.raises(FetchError, match="within"):
        fetch(http_server.url("/slow-headers"), FetchPolicy(allow_private=True, timeout_s=1.0))
    assert time.monotonic() - started < 2.5


def test_oversize_pages_are_refused_declared_or_streamed(http_server) -> None:
    policy = FetchPolicy(allow_private=True, timeout_s=2.0, max_bytes=10_000)
    http_server.add("/big", b"x" * 20_000)

    def chunked(request) -> None:
        request.send_response(200)
        request.send_header("Transfer-Encoding", "chunked")
        request.end_headers()
        for _ in range(30):
            request.wfile.write(b"400\r\n" + b"y" * 1024 + b"\r\n")
        request.wfile.write(b"0\r\n\r\n")

    http_server.add("/big-chunked", handler=chunked)
    for path in ("/big", "/big-chunked"):
        with pytest.raises(FetchError, match="Page larger than 10000 bytes"):
            fetch(http_server.url(path), policy)
    http_server.add("/small", b"z" * 9_000)
    assert len(fetch(http_server.url("/small"), policy).body) == 9_000


def test_redirects_are_followed_by_hand_and_bounded(http_server, local_policy) -> None:
    http_server.redirect("/old", "/new", 301)
    http_server.add("/new", "moved here")
    result = fetch(http_server.url("/old"), local_policy)
    assert result.url_final == http_server.url("/new") and result.body == b"moved here"

    http_server.redirect("/loop-a", "/loop-b")
    http_server.redirect("/loop-b", "/loop-a")
    with pytest.raises(FetchError, match="Redirect loop"):
        fetch(http_server.url("/loop-a"), local_policy)

    for hop in range(1, 10):
        http_server.redirect(f"/hop/{hop}", f"/hop/{hop + 1}")
    with pytest.raises(FetchError, match="More than 3 redirects"):
        fetch(http_server.url("/hop/1"), local_policy)
    assert http_server.hits("/hop/5") == 0


def test_redirect_to_a_private_address_is_refused(http_server) -> None:
    # The test server itself is allowed by network, as an intranet mirror would be; nothing else is.
    policy = FetchPolicy(allow_private=False, timeout_s=2.0, allowed_networks=("127.0.0.1/32",))
    http_server.add("/fine", "ok")
    assert fetch(http_server.url("/fine"), policy).body == b"ok"
    for target in ("http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/admin",
                   f"http://127.0.0.2:{http_server.port}/fine", "file:///etc/passwd"):
        http_server.redirect("/jump", target)
        with pytest.raises(FetchError):
            fetch(http_server.url("/jump"), policy)
    assert http_server.hits("/fine") == 1


def test_policy_from_settings_and_validation() -> None:
    settings = load_settings(allow_private_fetch=True, fetch_timeout_s=3.5, fetch_max_bytes=20_000,
                             fetch_max_redirects=2, user_agent="Bot/1")
    policy = FetchPolicy.from_settings(settings)
    assert policy == FetchPolicy(allow_private=True, timeout_s=3.5, max_bytes=20_000, max_redirects=2,
                                 user_agent="Bot/1")
    with pytest.raises(ValueError):
        FetchPolicy(timeout_s=0)
    with pytest.raises(ValueError):
        FetchPolicy(allowed_networks=("not-a-network",))


def test_sync_fetch_works_inside_a_running_event_loop(http_server, local_policy) -> None:
    import asyncio

    from mangxanh.connectors.safe_http import fetch_async

    http_server.add("/x", "ok", content_type="text/plain; charset=no-such-charset")

    async def caller() -> tuple[bytes, str]:
        # A synchronous caller inside async code (e.g. a sync helper called from a route) must not deadlock.
        in_loop = fetch(http_server.url("/x"), local_policy)
        awaited = await fetch_async(http_server.url("/x"), local_policy)
        return in_loop.body, awaited.text()

    assert asyncio.run(caller()) == (b"ok", "ok")


def test_a_name_that_does_not_resolve_is_said_in_the_platform_s_words_not_the_resolver_s() -> None:
    with pytest.raises(FetchError) as caught:
        fetch("https://khong-ton-tai.invalid/rss", PUBLIC_ONLY)
    assert caught.value.message in {
        "The host name {host} does not exist (the name servers know no address for it)",
        "The name servers did not answer for {host}; the source is tried again at its next run",
        "The host name {host} could not be resolved"}
    assert caught.value.params == {"host": "khong-ton-tai.invalid"}  # no English text of the system's
