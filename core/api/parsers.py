import json
import math
import re

from django.conf import settings
from rest_framework import exceptions, parsers, status

from core.text import clean_json, unsafe_text_problems

# Deeper than any real payload; shallow enough that nothing which walks a stored JSON
# value recursively (json.dumps, the renderers, the admin) comes near Python's limit.
MAX_JSON_DEPTH = 100


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def loads(data: bytes | str, *, clean: bool = False, non_finite: bool = False):
    """Parse JSON text from a client; ``ValueError`` (with a message fit to show) when it
    is not JSON we can keep: NaN/Infinity (also numbers too large for a float, such as
    ``1e999``, which would become them) and nesting deeper than MAX_JSON_DEPTH.

    With ``clean``, every string (keys too) is made storable (``core.text.clean_text``).
    With ``non_finite``, NaN and Infinity are read as floats, for a caller that refuses
    them itself with a better message (metric samples, by row)."""
    surrogates_encoded = False
    if isinstance(data, bytes):
        data, surrogates_encoded = _decode(data)
    try:
        if non_finite:
            value = json.loads(data)
        else:
            value = json.loads(data, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise ValueError(_too_deep()) from None
    if _may_be_deeper_than(data, MAX_JSON_DEPTH) and _depth_exceeds(value, MAX_JSON_DEPTH):
        raise ValueError(_too_deep())
    if clean and (surrogates_encoded or _may_hold_unsafe_text(data)):
        value = clean_json(value)
    return value


def _decode(data: bytes) -> tuple[str, bool]:
    """As ``json.loads`` decodes bytes (UTF-8, -16 or -32, told apart as RFC 4627 says),
    and whether the text holds surrogates encoded as such, which only a lenient decode
    ("surrogatepass", as ``json.loads`` does) lets through. Other invalid bytes are a
    UnicodeDecodeError."""
    encoding = json.detect_encoding(data)
    try:
        return data.decode(encoding), False
    except UnicodeDecodeError:
        return data.decode(encoding, "surrogatepass"), True


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with a size cap, a depth cap and no unstorable text.

    Django caps ``request.body`` but not a stream read, which is how DRF parses, so a
    large alert batch would otherwise be read whole into memory. Reading one byte past
    the cap is enough to know.

    A string with a NUL character or a lone surrogate is refused (400, naming where it
    is, in the words of DRF's own validators): it cannot be stored in PostgreSQL nor
    rendered as UTF-8, and a client of the API can send it again without.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        # A view may allow a larger body for one action (a batch of events, say).
        view = (parser_context or {}).get("view")
        limit = getattr(view, "max_body_bytes", None) or settings.API_MAX_BODY_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit // 1024} KiB.")
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
            value = loads(text, non_finite=getattr(view, "json_non_finite", False))
        except (ValueError, UnicodeDecodeError) as exc:
            raise exceptions.ParseError(f"JSON parse error: {exc}") from exc
        if _may_hold_unsafe_text(text):
            problems = unsafe_text_problems(value)
            if problems:
                raise exceptions.ValidationError(
                    {path or "non_field_errors": [problem] for path, problem in problems.items()}
                )
        return value

    @staticmethod
    def _refuse_constant(name):
        _refuse_constant(name)


def _refuse_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"the number {text[:40]} is out of range")
    return number


def _too_deep() -> str:
    return f"the JSON is nested deeper than {MAX_JSON_DEPTH} levels"


# In strictly decoded text, NUL and lone surrogates only come as escapes (see core.text).
# Other escapes are common (Go's encoder writes &, < and > as \u0026, \u003c and \u003e)
# and need no second pass over the value. An escaped backslash before "u0000" matches
# too: a needless pass, never a missed one.
_UNSAFE_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


def _may_hold_unsafe_text(text: str) -> bool:
    return _UNSAFE_ESCAPE.search(text) is not None


def _may_be_deeper_than(text: str, limit: int) -> bool:
    """False when the text has too few brackets to nest that deep (the common case:
    no walk over the parsed value)."""
    return text.count("[") + text.count("{") > limit


def _depth_exceeds(value, limit: int) -> bool:
    """Level by level, without recursion, so that it is safe on any value json.loads
    returned (and about as fast as json.loads itself)."""
    level = [value] if isinstance(value, (dict, list)) else []
    depth = 1
    while level:
        if depth > limit:
            return True
        deeper = []
        for item in level:
            children = item.values() if isinstance(item, dict) else item
            deeper.extend([child for child in children if isinstance(child, (dict, list))])
        level = deeper
        depth += 1
    return False
