"""POST a JSON body signed with a shared secret, the way every outgoing call here is signed:

    X-Vigil-Timestamp: <unix seconds>
    X-Vigil-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>." + body>

Receivers recompute the HMAC with their copy of the secret and reject old timestamps.
"""

import hashlib
import hmac
import time
import urllib.error
import urllib.request

TIMEOUT_SECONDS = 10


class PostFailed(Exception):
    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signed_post(url: str, body: bytes, secret: str, *, headers: dict | None = None) -> int:
    """The response status (2xx); raises PostFailed on any other answer or no answer."""
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
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        raise PostFailed(f"HTTP {error.code} from {url}", error.code) from error
    except OSError as error:
        raise PostFailed(f"{type(error).__name__}: {error}") from error
