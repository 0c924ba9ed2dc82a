"""Text from outside, made safe to store and to render.

JSON can carry two things no database column or UTF-8 response can hold: a lone UTF-16
surrogate (``"\\ud800"``: Python decodes it, but cannot encode it as UTF-8, and
PostgreSQL's jsonb refuses it) and the NUL character (``"\\u0000"``: PostgreSQL refuses
it in text and jsonb). Both can only arrive as ``\\u`` escapes: a raw NUL byte in a JSON
string is a syntax error, and a strict UTF-8 decode never yields a surrogate.
"""

import re

REPLACEMENT_CHARACTER = "\ufffd"
_SURROGATE = re.compile("[\ud800-\udfff]")
_UNSAFE = re.compile("[\ud800-\udfff\x00]")


def clean_text(value: str) -> str:
    """``value`` with lone surrogates replaced by U+FFFD and NUL characters removed."""
    if not _UNSAFE.search(value):
        return value
    return _SURROGATE.sub(REPLACEMENT_CHARACTER, value.replace("\x00", ""))


def clean_json(value):
    """A parsed JSON value with every string cleaned (keys and nested values too).

    Recursive: call it on values whose nesting is already bounded (see
    ``core.api.parsers.loads``)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(key): clean_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clean_json(item) for item in value]
    return value


MAX_PROBLEMS = 20


def unsafe_text_problems(value, path: str = "") -> dict[str, str]:
    """Where a parsed JSON value holds text that cannot be stored: ``{path: problem}``,
    paths as ``labels.env`` and ``items[2].name`` (the first problem of each string; the
    first MAX_PROBLEMS strings)."""
    problems: dict[str, str] = {}
    _collect(value, path, problems)
    return problems


def _collect(value, path, problems):
    if len(problems) >= MAX_PROBLEMS:
        return
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            problems[path] = problem
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{clean_text(key)}" if path else clean_text(key)
            problem = text_problem(key)
            if problem:
                problems[where] = f"The key: {problem}"
            _collect(item, where, problems)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _collect(item, f"{path}[{index}]", problems)


def text_problem(value: str) -> str | None:
    """The wording of Django REST framework's own validators, for one string."""
    if "\x00" in value:
        return "Null characters are not allowed."
    surrogate = _SURROGATE.search(value)
    if surrogate:
        return f"Surrogate characters are not allowed: U+{ord(surrogate.group()):X}."
    return None
