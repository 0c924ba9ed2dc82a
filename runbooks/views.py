from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from runbooks import pages


@never_cache
@require_safe
@staff_member_required
def index(request):
    return render(
        request,
        "runbooks/index.html",
        {
            **admin.site.each_context(request),
            "is_nav_sidebar_enabled": False,
            "title": "Runbooks",
            "runbooks": pages.runbook_list(),
        },
    )


@never_cache
@require_safe
@staff_member_required
def page(request, name):
    runbook = pages.runbook_get(name)
    if runbook is None:
        raise Http404("No such runbook.")
    return render(
        request,
        "runbooks/page.html",
        {
            **admin.site.each_context(request),
            "is_nav_sidebar_enabled": False,
            "title": runbook.title,
            "runbook": runbook,
        },
    )
