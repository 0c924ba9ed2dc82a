"""Pages outside the admin and the API: one-click responses from a page's email.

A link (``/respond/<token>``, signed, 24 hours, acting as the paged user) never acts on
GET or HEAD: mail scanners and link previews fetch every link. Opening it shows the
incident and a button; the button POSTs back to the same address, and that acts, once.

CSRF: the POST is exempt from Django's cookie check on purpose. What authorises it is the
signed token in the address, not a session: the view acts as the token's user whoever
is signed in (or nobody), so a forged cross-site request could only act with a token its
author already holds, and then they could act without the victim's browser. A cookie
check would protect nothing and would refuse people whose mail app opens links in a
browser without cookies. The form also carries a second token, signed for this link by
the confirmation page (``confirm``): a bare POST to a link's address (a scanner, a
prefetch) does not act; only the page's button does.
"""

from django.core import signing
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from incidents.services.notifications import (
    RESPOND_MAX_AGE,
    RespondLinkError,
    respond_link_check,
    respond_link_use,
)

CONFIRM_SALT = "vigil.respond.confirm"
# What each verb's button and result say.
VERBS = {"acknowledge": "Acknowledge", "resolve": "Resolve"}


@csrf_exempt  # the signed token is the proof (see the module's docstring)
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def respond(request, token):
    """GET/HEAD: what the link would do, with a button; POST: do it, once."""
    try:
        link = respond_link_check(token=token)
    except RespondLinkError as error:
        return _page(request, error.message, status=error.http_status)
    if request.method != "POST":
        return _confirmation(request, token, link)
    if not _confirmed(request, link):
        return _confirmation(
            request, token, link, status=400, note="Confirm with the button below."
        )
    try:
        incident = respond_link_use(token=token)
    except DomainError as error:
        return _page(request, error.message, incident=link.incident, status=error.http_status)
    return _page(request, f"{incident.reference} is {incident.status}.", incident=incident)


def _confirm_token(link) -> str:
    return signing.dumps(link.digest, salt=CONFIRM_SALT)


def _confirmed(request, link) -> bool:
    try:
        digest = signing.loads(
            request.POST.get("confirm", ""), salt=CONFIRM_SALT, max_age=RESPOND_MAX_AGE
        )
    except signing.BadSignature:
        return False
    return digest == link.digest


def _confirmation(request, token, link, *, status=200, note="") -> HttpResponse:
    verb = VERBS[link.action]
    return _page(
        request,
        f"{verb} {link.incident.reference}?",
        incident=link.incident,
        status=status,
        form={
            "verb": verb,
            "confirm": _confirm_token(link),
            "user": link.user.get_username(),
            "note": note,
        },
    )


def _page(request, message, *, incident=None, status=200, form=None) -> HttpResponse:
    response = render(
        request,
        "incidents/respond.html",
        {"message": message, "incident": incident, "form": form},
        status=status,
    )
    # The token is in this page's address: do not send it on with a followed link.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
