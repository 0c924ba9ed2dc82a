"""The runbooks: Markdown files in ``settings.RUNBOOKS_DIR``, rendered to sanitised HTML.

A runbook is ``<name>.md`` with a name of lower-case letters, digits and hyphens (so
``README.md`` beside them is not one), served at ``/runbooks/<name>/``. Its first line
is its title (``# Title``, plain text); the paragraph after it is its one-line
description on the index. Every heading gets an id made from its text by
``heading_id`` (``## Disk full`` -> ``disk-full``), so a link names a section as
``/runbooks/capacity/#disk-full``.

The files are written by us, but are rendered as if they were not: the HTML is cut
down to what Markdown needs (no scripts, no attributes beyond heading ids, table
alignment and link targets; links only to http(s) or relative addresses).
"""

import functools
import html
import re
from dataclasses import dataclass
from pathlib import Path

import markdown
import nh3
from django.conf import settings
from django.utils.text import slugify

NAME = re.compile(r"[a-z0-9-]+")

_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_SANITISER = nh3.Cleaner(
    tags=_HEADINGS
    | {"p", "br", "hr", "a", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li"}
    | {"table", "thead", "tbody", "tr", "th", "td"},
    attributes={
        **{tag: {"id"} for tag in _HEADINGS},
        "a": {"href", "title"},
        "th": {"align"},
        "td": {"align"},
    },
    url_schemes={"http", "https"},  # and relative addresses, which ammonia lets through
)
_INLINE_SANITISER = nh3.Cleaner(tags={"code", "em", "strong"}, attributes={})


def heading_id(text: str, separator: str = "-") -> str:
    """A heading's anchor: its text lower-cased, punctuation dropped, spaces to hyphens.
    (``separator`` is the toc extension's; ids always use hyphens.)"""
    return slugify(text) or "section"


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    children: tuple["Section", ...] = ()


@dataclass(frozen=True)
class Runbook:
    name: str
    title: str
    description: str  # sanitised inline HTML
    html: str  # the body below the title, sanitised
    sections: tuple[Section, ...]  # the table of contents: ## headings and their ###


def runbooks_dir() -> Path:
    return Path(settings.RUNBOOKS_DIR)


def runbook_list() -> list[Runbook]:
    """Every runbook, by title."""
    paths = (path for path in runbooks_dir().glob("*.md") if NAME.fullmatch(path.stem))
    return sorted((_load(path) for path in paths), key=lambda runbook: runbook.title.lower())


def runbook_get(name: str) -> Runbook | None:
    """The runbook called ``name``; None for a name that is not one (or cannot be)."""
    if not NAME.fullmatch(name):
        return None
    path = runbooks_dir() / f"{name}.md"
    if not path.is_file():
        return None
    return _load(path)


def _load(path: Path) -> Runbook:
    stat = path.stat()
    return _render(str(path), stat.st_mtime_ns, stat.st_size)


# Keyed by the file's modification time and size: an edited file is rendered again.
@functools.lru_cache(maxsize=128)
def _render(path: str, mtime_ns: int, size: int) -> Runbook:
    name = Path(path).stem
    title, body = _split_title(Path(path).read_text(encoding="utf-8"))
    md = markdown.Markdown(
        extensions=["toc", "tables", "fenced_code"],
        extension_configs={
            "toc": {"slugify": heading_id, "toc_depth": "2-3"},
            "tables": {"use_align_attribute": True},  # style attributes are not let through
        },
    )
    body_html = md.convert(body)
    return Runbook(
        name=name,
        title=title or name,
        description=_description(body),
        html=_SANITISER.clean(body_html),
        sections=tuple(_section(token) for token in md.toc_tokens),
    )


def _split_title(text: str) -> tuple[str, str]:
    """The first line's ``# `` heading and the rest; no title when it has none."""
    first, _, rest = text.lstrip().partition("\n")
    if first.startswith("# "):
        return first[2:].strip(), rest
    return "", text


def _description(body: str) -> str:
    """The first paragraph under the title, on one line, as inline HTML."""
    paragraph = []
    for line in body.strip().splitlines():
        if not line.strip() or line.startswith(("#", "|", "```", "    ")):
            break
        paragraph.append(line.strip())
    return _INLINE_SANITISER.clean(markdown.markdown(" ".join(paragraph))).strip()


def _section(token: dict) -> Section:
    return Section(
        id=token["id"],
        title=html.unescape(token["name"]),
        children=tuple(_section(child) for child in token["children"]),
    )
