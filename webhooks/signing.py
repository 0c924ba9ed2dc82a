"""POST a JSON body signed with a shared secret, the way every outgoing call here is signed:

    X-Vigil-Timestamp: <unix seconds>
    X-Vigil-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>." + body>

Receivers recompute the HMAC with their copy of the secret and reject old timestamps.

The URL comes from users (a contact method, an outgoing webhook), so the call is made
carefully: http(s) only, no redirects followed (a 3xx is a failure), no proxies from the
environment, and the host is resolved once and checked (``core.net``): unless the
operator allows private addresses (``OUTGOING_ALLOW_PRIVATE``), every address it
resolves to must be public, and the connection goes to those checked addresses, so a
second DNS answer cannot swap in an internal one.
"""

import hashlib
import hmac
import http.client
import time
import urllib.error
import urllib.request

from core.net import REFUSAL_HINT, AddressNotAllowed, create_checked_connection, is_http_url

TIMEOUT_SECONDS = 10


class PostFailed(Exception):
    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


class _CheckedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = create_checked_connection


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    # TLS still verifies the certificate against the URL's host name (SNI too): only
    # the TCP connection goes to the checked address.
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = create_checked_connection


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_CheckedHTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_CheckedHTTPSConnection, req, context=self._context)


def _opener() -> urllib.request.OpenerDirector:
    """http and https through the checked connections; no redirect, proxy, file or ftp
    handler, so a non-2xx answer (3xx included) is an HTTPError."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        _HTTPHandler(),
        _HTTPSHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


def signed_post(url: str, body: bytes, secret: str, *, headers: dict | None = None) -> int:
    """The response status (2xx); raises PostFailed on any other answer or no answer,
    and when the URL is not one that may be called (see the module's docstring)."""
    if not is_http_url(url):
        raise PostFailed("Refused: not an http:// or https:// URL")
    timestamp = str(int(time.time()))
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Vigil",
            "X-Vigil-Timestamp": timestamp,
            "X-Vigil-Signature": f"sha256={signature(secret, timestamp, body)}",
            **(headers or {}),
        },
    )
    try:
        with _opener().open(request, timeout=TIMEOUT_SECONDS) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        error.close()
        redirect = " (redirects are not followed)" if 300 <= error.code < 400 else ""
        raise PostFailed(f"HTTP {error.code} from {url}{redirect}", error.code) from error
    except AddressNotAllowed as error:
        raise PostFailed(f"Refused: {error}: {REFUSAL_HINT}") from error
    except urllib.error.URLError as error:
        if isinstance(error.reason, AddressNotAllowed):
            raise PostFailed(f"Refused: {error.reason}: {REFUSAL_HINT}") from error
        raise PostFailed(f"URLError: {error}") from error
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise PostFailed(f"{type(error).__name__}: {error}") from error
