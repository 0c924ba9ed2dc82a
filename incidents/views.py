"""Pages outside the admin and the API: one-click responses from a page's email."""

from django.contrib.auth import get_user_model
from django.core import signing
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from core.errors import DomainError
from incidents.models import Incident
from incidents.services.incidents import INCIDENT_ACTIONS
from incidents.services.notifications import respond_token_read

# The verbs a page's links offer.
ACTIONS = {verb: INCIDENT_ACTIONS[verb] for verb in ("acknowledge", "resolve")}


@never_cache
def respond(request, token):
    """Acknowledge or resolve from the link in a page, acting as the paged user. The link
    is signed and expires after 24 hours; repeating it changes nothing."""
    try:
        claim = respond_token_read(token)
    except signing.SignatureExpired:
        return _page(request, "This link has expired.", status=410)
    except signing.BadSignature:
        return _page(request, "This link is not valid.", status=404)
    user = get_user_model().objects.filter(pk=claim["u"], is_active=True).first()
    incident = Incident.objects.filter(pk=claim["i"]).first()
    if user is None or incident is None or claim["a"] not in ACTIONS:
        return _page(request, "This link is not valid.", status=404)
    try:
        incident = ACTIONS[claim["a"]](incident=incident, by=user)
    except DomainError as error:
        return _page(request, error.message, incident=incident, status=409)
    return _page(request, f"{incident.reference} is {incident.status}.", incident=incident)


def _page(request, message, *, incident=None, status=200) -> HttpResponse:
    return render(
        request,
        "incidents/respond.html",
        {"message": message, "incident": incident},
        status=status,
    )
