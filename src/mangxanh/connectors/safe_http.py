"""Fetching feeds and pages from the open web without turning the platform against its own network.

Every hop of a fetch is checked before anything is sent: http/https only, no credentials in the
address, and every address the host name resolves to must be public (unless the policy allows
private networks). The connection is then pinned to the address that was checked (the URL is
rewritten to the IP, with the Host header and TLS server name kept), so a DNS answer that
changes between the check and the connection (DNS rebinding) cannot redirect the request.
Redirects are followed by hand, each one checked again. A whole fetch, all hops included, runs
under one deadline, so a server that trickles bytes forever is cut off, not merely slowed down.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Coroutine, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urljoin

import httpx

from mangxanh.errors import MangXanhError

if TYPE_CHECKING:
    from mangxanh.config import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
T = TypeVar("T")

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_URL_CHARS = 2048
MAX_ADDRESSES_TRIED = 4
DEFAULT_ACCEPT = "*/*"
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Our own pool, not the event loop's: asyncio.run() waits for its default executor on exit, so a
# resolver that hangs there would outlive the deadline.
_RESOLVER = ThreadPoolExecutor(max_workers=8, thread_name_prefix="mangxanh-resolve")


class FetchError(MangXanhError):
    """A fetch was refused or failed; the message says why, so a source can show its reason."""


class HttpStatusError(FetchError):
    """The server answered with a status that is neither success, redirect nor 304."""

    @property
    def status(self) -> int:
        return int(str(self.params["status"]))


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    allow_private: bool = False
    timeout_s: float = 15.0
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    user_agent: str = "MangXanhBot/0.1"
    # CIDR blocks reachable even while private addresses are refused, e.g. one intranet mirror.
    allowed_networks: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.timeout_s <= 0 or self.max_bytes <= 0 or self.max_redirects < 0:
            raise ValueError("timeout_s and max_bytes must be positive, max_redirects 0 or more")
        _networks(self.allowed_networks)  # a bad CIDR fails here, not on the first fetch

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchPolicy:
        return cls(
            allow_private=settings.allow_private_fetch,
            timeout_s=settings.fetch_timeout_s,
            max_bytes=settings.fetch_max_bytes,
            max_redirects=settings.fetch_max_redirects,
            user_agent=settings.user_agent,
        )


@dataclass(frozen=True, slots=True)
class FetchResult:
    url_final: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    not_modified: bool = False

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower case ('' when the server sent none)."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    @property
    def charset(self) -> str | None:
        for part in self.headers.get("content-type", "").split(";")[1:]:
            key, _, value = part.partition("=")
            if key.strip().lower() == "charset" and value.strip():
                return value.strip().strip("\"'")
        return None

    def text(self) -> str:
        """The body decoded with the declared charset (UTF-8 when none or unknown); bad bytes replaced."""
        try:
            return self.body.decode(self.charset or "utf-8", errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


@lru_cache(maxsize=64)
def _networks(cidrs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, Teredo, NAT64), if any."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public_address(address: IPAddress) -> bool:
    """True only for globally routable unicast addresses (and for what an IPv6 one embeds)."""
    embedded = _embedded_ipv4(address)
    if embedded is not None and not is_public_address(embedded):
        return False
    return address.is_global and not (
        address.is_private or address.is_loopback or address.is_link_local or address.is_multicast
        or address.is_reserved or address.is_unspecified
    )


def _allowed(address: IPAddress, policy: FetchPolicy) -> bool:
    if policy.allow_private or is_public_address(address):
        return True
    candidates = [address, *filter(None, [_embedded_ipv4(address)])]
    return any(candidate in network for candidate in candidates for network in _networks(policy.allowed_networks))


def checked_url(raw: str) -> httpx.URL:
    """Parse an address and refuse what must never be fetched (the fragment is dropped)."""
    if len(raw) > MAX_URL_CHARS:
        raise FetchError("The address is longer than {limit} characters", limit=MAX_URL_CHARS)
    try:
        url = httpx.URL(raw.strip())
    except (httpx.InvalidURL, TypeError, ValueError):
        raise FetchError("{url} is not a valid web address", url=raw[:200]) from None
    if url.scheme not in ("http", "https"):
        raise FetchError("Only http and https addresses can be fetched, not {url}", url=raw[:200])
    if not url.raw_host:
        raise FetchError("{url} is not a valid web address", url=raw[:200])
    if url.userinfo:
        raise FetchError("Addresses with a user name or password are not fetched: {url}", url=raw[:200])
    return url.copy_with(fragment=None)


# The resolver's own words are the system's, in English: each case gets a message of its own.
_NO_SUCH_NAME = frozenset(code for code in (getattr(socket, "EAI_NONAME", None), getattr(socket, "EAI_NODATA", None))
                          if code is not None)


def _unresolved(host: str, exc: Exception) -> FetchError:
    code = exc.errno if isinstance(exc, socket.gaierror) else None
    if code in _NO_SUCH_NAME:
        return FetchError("The host name {host} does not exist (the name servers know no address for it)", host=host)
    if code == getattr(socket, "EAI_AGAIN", None):
        return FetchError("The name servers did not answer for {host}; the source is tried again at its next run",
                          host=host)
    return FetchError("The host name {host} could not be resolved", host=host)


def _private(address: IPAddress, host: str) -> FetchError:
    if host.strip("[]") == str(address):  # the address was written as such: say it once
        return FetchError("The address {address} is private, local or reserved; it is not fetched",
                          address=str(address))
    return FetchError("Address {address} of {host} is private, local or reserved; fetching it is not allowed",
                      address=str(address), host=host)


def refuse_private_source(raw: str, policy: FetchPolicy) -> None:
    """The fetch's own check of a source's address, made when the source is added or edited.

    An address that is, or resolves to, a private, loopback, link-local or reserved one is refused
    with the message a run would give. A host that does not resolve now is accepted: it may
    resolve later, and each run checks it again (the connection is pinned to what was checked).
    """
    url = checked_url(raw)
    host = url.raw_host.decode("ascii")
    try:
        infos = socket.getaddrinfo(host, url.port or (443 if url.scheme == "https" else 80), type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        return
    _allowed_addresses(infos, host, policy)


def _allowed_addresses(infos: list[Any], host: str, policy: FetchPolicy) -> list[IPAddress]:
    """The resolver's answers for ``host``, each once; any the policy does not allow refuses them all."""
    addresses: list[IPAddress] = []
    for info in infos:
        # An IPv6 link-local answer may carry a scope ("fe80::1%eth0"); the address is what matters.
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if not _allowed(address, policy):
            raise _private(address, host)
        if address not in addresses:
            addresses.append(address)
    return addresses


async def _public_addresses(url: httpx.URL, policy: FetchPolicy) -> list[IPAddress]:
    host = url.raw_host.decode("ascii")
    port = url.port or (443 if url.scheme == "https" else 80)
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.run_in_executor(_RESOLVER, lambda: socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
    except (socket.gaierror, UnicodeError) as exc:
        raise _unresolved(host, exc) from None
    addresses = _allowed_addresses(infos, host, policy)
    if not addresses:
        raise FetchError("The host name {host} does not exist (the name servers know no address for it)", host=host)
    return addresses


async def _send(client: httpx.AsyncClient, url: httpx.URL, addresses: list[IPAddress],
                headers: dict[str, str]) -> httpx.Response:
    """Send to the checked addresses in turn (pinned), returning the first streaming response."""
    last: Exception | None = None
    for address in addresses[:MAX_ADDRESSES_TRIED]:
        pinned = url.copy_with(host=str(address))
        request = client.build_request(
            "GET", pinned, headers={**headers, "Host": url.netloc.decode("ascii")},
            extensions={"sni_hostname": url.raw_host.decode("ascii")},
        )
        try:
            return await client.send(request, stream=True)
        except httpx.ConnectError as exc:
            last = exc
    raise FetchError("Could not connect to {host} ({reason})", host=url.raw_host.decode("ascii"),
                     reason=str(last) or type(last).__name__)


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError("Page larger than {limit} bytes", limit=max_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise FetchError("Page larger than {limit} bytes", limit=max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


@lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    # Loading the CA bundle costs tens of milliseconds; one verifying context serves every fetch.
    return httpx.create_ssl_context()


def _header_map(response: httpx.Response) -> dict[str, str]:
    return {key.lower(): value for key, value in response.headers.items()}


async def _fetch_hops(url: str, policy: FetchPolicy, headers: dict[str, str]) -> FetchResult:
    current = checked_url(url)
    seen = {str(current)}
    async with httpx.AsyncClient(follow_redirects=False, trust_env=False, timeout=policy.timeout_s,
                                 verify=_tls_context()) as client:
        for hop in range(policy.max_redirects + 1):
            addresses = await _public_addresses(current, policy)
            response = await _send(client, current, addresses, headers)
            try:
                status = response.status_code
                if status in REDIRECT_STATUSES:
                    location = response.headers.get("location")
                    if not location:
                        raise FetchError("{url} answered HTTP {status} without a Location", url=str(current),
                                         status=status)
                    target = checked_url(urljoin(str(current), location))
                    if str(target) in seen:
                        raise FetchError("Redirect loop: {url} leads back to an address already visited",
                                         url=str(target))
                    if hop == policy.max_redirects:
                        break
                    seen.add(str(target))
                    current = target
                    continue
                if status == 304:
                    return FetchResult(str(current), status, _header_map(response), b"", not_modified=True)
                if not 200 <= status < 300:
                    raise HttpStatusError("{url} answered HTTP {status}", url=str(current), status=status)
                body = await _read_capped(response, policy.max_bytes)
                return FetchResult(str(current), status, _header_map(response), body)
            finally:
                await response.aclose()
    raise FetchError("More than {count} redirects from {url}", count=policy.max_redirects, url=url[:200])


async def fetch_async(url: str, policy: FetchPolicy, *, etag: str | None = None, last_modified: str | None = None,
                      accept: str = DEFAULT_ACCEPT) -> FetchResult:
    """Fetch ``url`` under ``policy``; any refusal or failure raises :class:`FetchError`."""
    headers = {"User-Agent": policy.user_agent, "Accept": accept, "Accept-Encoding": "gzip, deflate"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        async with asyncio.timeout(policy.timeout_s):
            return await _fetch_hops(url, policy, headers)
    except (TimeoutError, httpx.TimeoutException):
        raise FetchError("No complete answer from {url} within {seconds} seconds", url=url[:200],
                         seconds=policy.timeout_s) from None
    except httpx.HTTPError as exc:
        raise FetchError("Fetching {url} failed ({reason})", url=url[:200],
                         reason=str(exc) or type(exc).__name__) from None


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to the end from synchronous code, even if this thread runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def fetch(url: str, policy: FetchPolicy, *, etag: str | None = None, last_modified: str | None = None,
          accept: str = DEFAULT_ACCEPT) -> FetchResult:
    """Synchronous :func:`fetch_async`, for the scheduler and the CLI."""
    return run_sync(fetch_async(url, policy, etag=etag, last_modified=last_modified, accept=accept))
