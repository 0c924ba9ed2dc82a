"""A report's content as HTML (its kind's template) and as a PDF (WeasyPrint, from that
HTML). WeasyPrint needs Pango; it is imported only when a PDF is drawn."""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from insights.reports.document import Period, ReportContent
from insights.reports.kinds import kind_module


class PdfUnavailable(RuntimeError):
    pass


def report_html(kind: str, period: Period, content: ReportContent) -> str:
    return render_to_string(
        kind_module(kind).TEMPLATE,
        {
            "site_name": settings.SITE_NAME,
            "site_url": settings.SITE_URL.rstrip("/"),
            "kind": kind,
            "title": content.title,
            "period": period,
            "figures": content.figures,
            "generated_at": timezone.now(),
            "time_zone": settings.TIME_ZONE,
            **content.context,
        },
    )


def report_pdf(html: str) -> bytes:
    try:
        from weasyprint import HTML
    except OSError as error:  # the Python package is there, Pango is not
        raise PdfUnavailable(
            "PDF reports need the Pango library on the server (Debian: libpango-1.0-0 "
            f"libpangoft2-1.0-0): {error}"
        ) from error
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
