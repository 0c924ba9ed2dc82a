"""Reports: a period's figures as a document (HTML, and a PDF drawn from it by
WeasyPrint), one module per kind in ``kinds/``, one template per kind in
``templates/reports/``. A kind only reads (other apps through their selectors); the
services in ``insights.services.reports`` store and send what it builds."""
