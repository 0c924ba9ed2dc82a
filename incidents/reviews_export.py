"""A post-incident review as a document a team circulates: Markdown, or a PDF made by
WeasyPrint from an HTML template. Both read the same context, so they say the same.

WeasyPrint needs Pango (Debian: libpango-1.0-0, libpangoft2-1.0-0); it is imported when a
PDF is asked for, so the rest of the platform runs on a machine without it, and a PDF
asked for there is a 503 saying what is missing."""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from core.errors import DomainError
from incidents import selectors
from incidents.models import PostIncidentReview

EXPORT_FORMATS = ("md", "pdf")

SECTIONS = (
    ("summary", "Summary"),
    ("customer_impact", "Customer impact"),
    ("root_cause", "Root cause"),
    ("contributing_factors", "Contributing factors"),
    ("what_went_well", "What went well"),
    ("what_went_poorly", "What went poorly"),
    ("lessons_learned", "Lessons learned"),
)


class PdfUnavailable(DomainError):
    code = "pdf_unavailable"
    http_status = 503


def duration(seconds: int | None) -> str:
    """``3725`` -> ``1 h 2 min``; None -> ``—`` (it never happened)."""
    if seconds is None:
        return "—"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [(days, "d"), (hours, "h"), (minutes, "min")]
    text = " ".join(f"{value} {unit}" for value, unit in parts if value)
    return text or f"{secs} s"


def figure_rows(figures: dict) -> list[tuple[str, object]]:
    """The review's figures as (label, shown value) rows, as the exports and the admin
    show them."""
    return [
        ("Time to acknowledge", duration(figures["time_to_acknowledge"])),
        ("Time to mitigate", duration(figures["time_to_mitigate"])),
        ("Time to resolve", duration(figures["time_to_resolve"])),
        ("Alerts received", figures["alerts_received"]),
        ("People paged", figures["people_paged"]),
    ]


def review_context(review: PostIncidentReview) -> dict:
    incident = review.incident
    end = incident.resolved_at or timezone.now()
    return {
        "site_name": settings.SITE_NAME,
        "review": review,
        "incident": incident,
        "service": incident.service,
        "team": incident.service.team,
        "duration": duration((end - incident.triggered_at).total_seconds()),
        "figures": figure_rows(selectors.review_figures(incident)),
        "sections": [(title, getattr(review, name)) for name, title in SECTIONS],
        "timeline": selectors.review_timeline(review),
        "action_items": list(review.action_items.all()),
        "participants": list(review.participants.all()),
        "generated_at": timezone.now(),
    }


def review_markdown(review: PostIncidentReview) -> str:
    return render_to_string("reviews/review.md", review_context(review))


def review_html(review: PostIncidentReview) -> str:
    return render_to_string("reviews/review.html", review_context(review))


def review_pdf(review: PostIncidentReview) -> bytes:
    try:
        from weasyprint import HTML
    except OSError as error:  # the Python package is there, Pango is not
        raise PdfUnavailable(
            "PDF export needs the Pango library on the server (Debian: libpango-1.0-0 "
            f"libpangoft2-1.0-0): {error}"
        ) from error
    return HTML(string=review_html(review), base_url=str(settings.BASE_DIR)).write_pdf()


def review_export(review: PostIncidentReview, kind: str) -> tuple[bytes, str, str]:
    """(body, content type, file name) of the review as ``kind`` (md or pdf)."""
    name = f"review-{review.incident.reference}"
    if kind == "pdf":
        return review_pdf(review), "application/pdf", f"{name}.pdf"
    body = review_markdown(review).encode()
    return body, "text/markdown; charset=utf-8", f"{name}.md"
