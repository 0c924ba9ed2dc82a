"""Addresses and URLs from outside: which may be shown as links, and which the workers
may call.

Two rules live here so that every app applies the same ones:

* ``is_http_url``: only an absolute http(s) URL is rendered as a link or handed to a
  client as one (``javascript:``, ``data:`` and the like are plain text at most).
* Outgoing calls (contact-method webhooks, outgoing webhooks) go only to public
  addresses unless the operator allows private ones (``OUTGOING_ALLOW_PRIVATE``):
  checked when the URL is saved (``validate_outgoing_url``, best effort: the name may
  not resolve yet) and again when it is called (``outgoing_addresses``, on every
  address the name resolves to, and the caller connects to those very addresses).

A save-time lookup is network I/O, and saves run in transactions: the writers resolve a
URL ahead (``outgoing_url_check_ahead``, before their transaction opens), and the model
validator inside reuses that verdict for a minute (``_save_time_verdicts``) instead of
asking DNS again. Send time never reuses it.
"""

import ipaddress
import socket
import threading
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

HTTP_SCHEMES = frozenset({"http", "https"})
# The documented prefix for NAT64 (RFC 6052): the last 32 bits are an IPv4 address.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Names that mean this machine whatever a resolver says (RFC 6761).
_LOCAL_NAMES = ("localhost", "localhost.localdomain")


def is_http_url(value) -> bool:
    """An absolute http(s) URL with a host, with no whitespace or control characters
    (browsers drop those, so ``java\\tscript:`` would be ``javascript:`` to them)."""
    if not isinstance(value, str) or not value:
        return False
    if any(ord(char) <= 0x20 or ord(char) == 0x7F for char in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in HTTP_SCHEMES and bool(parts.netloc)


# --- outgoing calls -------------------------------------------------------------------


class AddressNotAllowed(OSError):
    """An outgoing call to an address that the operator has not allowed."""


def private_addresses_allowed() -> bool:
    """``OUTGOING_ALLOW_PRIVATE``: on by default with ``DEBUG``, off otherwise."""
    return bool(getattr(settings, "OUTGOING_ALLOW_PRIVATE", settings.DEBUG))


def address_refusal(address) -> str | None:
    """What makes ``address`` (an IP address or its text) off limits for an outgoing
    call ("a loopback address", ...), or None for a public unicast address."""
    try:
        ip = ipaddress.ip_address(str(address).split("%", 1)[0])  # no IPv6 zone id
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return address_refusal(embedded)
    for test, kind in (
        ("is_unspecified", "an unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_private", "a private address"),
        ("is_reserved", "a reserved address"),
    ):
        if getattr(ip, test):
            return kind
    return None if ip.is_global else "not a public address"


def _resolve(host: str, port: int | None) -> list[tuple]:
    """getaddrinfo's answers for a TCP connection, as (family, sockaddr)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen, answers = set(), []
    for family, _type, _proto, _name, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6) and sockaddr[0] not in seen:
            seen.add(sockaddr[0])
            answers.append((family, sockaddr))
    return answers


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _refuse_local_name(host: str) -> None:
    name = host.lower().rstrip(".")
    if name in _LOCAL_NAMES or name.endswith(".localhost"):
        raise AddressNotAllowed(f"{host} is a name for this machine")


def outgoing_addresses(host: str, port: int) -> list[tuple]:
    """Resolve ``host`` for an outgoing call: (family, sockaddr) pairs to connect to,
    in order. Unless private addresses are allowed, raises AddressNotAllowed when any
    of them is not public (a name with one private answer among public ones could be
    steered to it). Connect to these addresses, never to the name again: a second
    lookup could answer differently (DNS rebinding)."""
    allowed = private_addresses_allowed()
    if not allowed:
        _refuse_local_name(host)
    answers = _resolve(host, port)
    if not answers:
        raise OSError(f"{host} has no IPv4 or IPv6 address")
    if not allowed:
        for _family, sockaddr in answers:
            kind = address_refusal(sockaddr[0])
            if kind and _is_ip(host):
                raise AddressNotAllowed(f"{host} is {kind}")
            if kind:
                raise AddressNotAllowed(f"{host} resolves to {sockaddr[0]}, {kind}")
    return answers


def create_checked_connection(address, timeout=None, source_address=None) -> socket.socket:
    """``socket.create_connection`` that resolves once, refuses addresses that are not
    allowed (``outgoing_addresses``) and connects to the checked addresses only."""
    host, port = address[0], address[1]
    last_error = None
    for family, sockaddr in outgoing_addresses(host, port):
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            if timeout is not None and timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as error:
            last_error = error
            sock.close()
    raise last_error


# (host, port) -> (monotonic expiry, refusal or None): save-time verdicts resolved ahead
# of a transaction, for the validator that runs inside it.
_save_time_verdicts: dict[tuple, tuple[float, str | None]] = {}
_verdicts_lock = threading.Lock()
VERDICT_SECONDS = 60


def outgoing_url_refusal(url: str) -> str | None:
    """Why the workers may not call ``url`` (save-time check), or None. A name that
    does not resolve now is accepted: it is checked again when it is called. A name
    resolved in the last minute (``outgoing_url_check_ahead``) is not looked up again."""
    if private_addresses_allowed():
        return None
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None  # not a URL at all: the URL validator says so
    if not host:
        return None
    if _is_ip(host):
        kind = address_refusal(host)
        return f"{host} is {kind}" if kind else None
    key = (host, port or (443 if parts.scheme == "https" else 80))
    now = time.monotonic()
    with _verdicts_lock:
        cached = _save_time_verdicts.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    try:
        outgoing_addresses(*key)
        refusal = None
    except AddressNotAllowed as refused:
        refusal = str(refused)
    except (OSError, UnicodeError):
        refusal = None  # does not resolve (yet)
    with _verdicts_lock:
        for stale in [k for k, (expiry, _) in _save_time_verdicts.items() if expiry <= now]:
            del _save_time_verdicts[stale]
        _save_time_verdicts[key] = (now + VERDICT_SECONDS, refusal)
    return refusal


def outgoing_url_check_ahead(*values) -> None:
    """Resolve the http(s) URLs among ``values`` now, before a transaction opens, so
    that the save-time validator inside it has its answer without network I/O."""
    for value in values:
        if isinstance(value, str) and is_http_url(value):
            outgoing_url_refusal(value)


REFUSAL_HINT = "this server calls public addresses only (OUTGOING_ALLOW_PRIVATE is off)"


def validate_outgoing_url(value) -> None:
    """A model field validator: an http(s) URL that the workers may call. (A value that
    is no URL at all is left to the field's URLValidator, which says so.)"""
    try:
        URLValidator()(value)
    except ValidationError:
        return
    if not is_http_url(value):
        raise ValidationError("Enter an http:// or https:// URL.", code="invalid")
    reason = outgoing_url_refusal(value)
    if reason:
        raise ValidationError(f"{reason}: {REFUSAL_HINT}.", code="private_address")
