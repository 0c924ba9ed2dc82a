"""Every create, update and delete of a product model, from the admin and from the API,
goes through a named service function (``<app>.services``).

The static tests enumerate what exists, so a new admin or a new route is checked the
day it is added:

* every ModelAdmin registered for a project app's model, and its inlines: read-only
  (add, change and delete denied to a superuser), or a ``ServiceWritesAdmin`` /
  ``ServiceWritesInline`` whose hooks for what it permits are overridden and call a
  service;
* every route of the URLconf outside the admin that takes POST, PUT, PATCH or DELETE:
  the project code that handles it (an overridden ``create``/``update``/``destroy`` or
  ``perform_*``, an extra action, an APIView's handler) calls a service, not DRF's
  default ``serializer.save()`` or ``instance.delete()``.

"Calls a service" is read from the bytecode: the function names a public keyword-only
function of a ``<app>.services`` module (``services.team_create`` on the module, or the
function imported by name), that name exists, and the function itself calls none of the
model-writing methods (``save``, ``delete``, ``create``, ``bulk_create``...). It cannot
see through helpers or ``queryset.update``: the dynamic tests at the end drive real
requests through representative routes with a spy around the service.

A few reviewed exceptions are listed below with their reasons; adding to them is a
decision for review, not a way to make this test pass.
"""

import dis
import inspect
import re
from pathlib import Path
from pkgutil import resolve_name
from types import ModuleType
from unittest import mock

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.options import InlineModelAdmin
from django.test import Client, RequestFactory
from django.urls import URLResolver, get_resolver
from rest_framework import viewsets
from rest_framework.test import APIClient

from core.admin_writes import ServiceWritesAdmin, ServiceWritesInline

BASE_DIR = Path(settings.BASE_DIR).resolve()
# The project's own apps (a package right under the project folder), as core.discovery
# finds them: a new app is covered without editing this file.
PROJECT_APPS = {
    config.label: config.name
    for config in apps.get_app_configs()
    if Path(config.path).resolve().parent == BASE_DIR
}
SERVICE_MODULE = re.compile(
    rf"^(?:{'|'.join(map(re.escape, PROJECT_APPS.values()))})\.services(?:\.|$)"
)
# Code counted as the project's (tests too, so the self-check below runs the same path).
PROJECT_CODE = re.compile(rf"^(?:{'|'.join(map(re.escape, PROJECT_APPS.values()))}|tests)(?:\.|$)")
# Attribute names whose call writes rows directly (``dict.update`` makes ``update`` too
# ambiguous to list).
MODEL_WRITES = frozenset(
    {
        "save",
        "delete",
        "create",
        "bulk_create",
        "bulk_update",
        "get_or_create",
        "update_or_create",
        "save_m2m",
        # ModelAdmin's own saves, reached through super()
        "save_model",
        "delete_model",
        "delete_queryset",
    }
)

# --- reviewed exceptions ---------------------------------------------------------------

# Models of project apps that are not product data.
NOT_PRODUCT_MODELS = {
    "core.heartbeat": "a liveness record that celery beat writes (core.services."
    "heartbeat_record); deleting one in the admin only makes /readyz wait for the next beat",
}
# Admins that write through services by overriding ModelAdmin's own save and delete
# methods instead of ServiceWritesAdmin's hooks.
CUSTOM_WRITES_ADMINS = {
    "incidents.admin.incidents.IncidentAdmin": "save_model opens and edits through "
    "incident_create/incident_update/incident_change_severity/incident_assign (the change "
    "form spans several services); incidents are never deleted (delete is denied)",
}
# ServiceWritesAdmin plumbing overridden by a subclass: (admin, method) -> the service the
# override calls. Inlines of such an admin are written by that override.
REVIEWED_OVERRIDES = {
    ("oncall.admin.ScheduleLayerAdmin", "save_formset"): "oncall.services.layer_members_set",
}
# Views outside the admin that are not DRF views: url name -> the service a project view
# writes through (None: it writes no product model).
NON_API_VIEWS = {
    "home": None,  # RedirectView to the admin
    "healthz": None,  # require_safe
    "favicon": None,  # require_safe, a redirect
    "runbooks:index": None,  # require_safe: reads files
    "runbooks:page": None,  # require_safe: reads files
    "readyz": None,  # require_safe
    "metrics": None,  # require_safe
    "rest_framework:login": None,  # Django's login: the session only
    "rest_framework:logout": None,
    "incident-respond": "incidents.services.notifications.respond_link_use",
}

EXPECTED_APPS = {
    "core",
    "catalog",
    "oncall",
    "webhooks",
    "incidents",
    "observability",
    "analytics",
    "insights",
}
WRITE_METHODS = ("post", "put", "patch", "delete")
HOOKS = {"add": "create", "change": "update", "delete": "delete"}
PLUMBING = ("save_model", "save_related", "save_formset", "delete_model", "delete_queryset")


# --- reading code ----------------------------------------------------------------------


def _qualname(cls) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _owner(cls, name):
    """The class in ``cls``'s MRO that defines ``name``."""
    return next((klass for klass in cls.__mro__ if name in vars(klass)), None)


def _is_project(klass) -> bool:
    return klass is not None and bool(PROJECT_CODE.match(klass.__module__))


def _codes(code):
    yield code
    for const in code.co_consts:
        if inspect.iscode(const):
            yield from _codes(const)


def _is_service(value) -> bool:
    """A named service: a public function of a services module, keyword-only."""
    function = inspect.unwrap(value) if callable(value) else None
    if not inspect.isfunction(function) or function.__name__.startswith("_"):
        return False
    if not SERVICE_MODULE.match(function.__module__):
        return False
    kinds = {p.kind for p in inspect.signature(function).parameters.values()}
    return kinds <= {inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.VAR_KEYWORD}


def _service_name(function) -> str:
    function = inspect.unwrap(function)
    return f"{function.__module__}.{function.__name__}"


def _read(function) -> tuple[set[str], set[str], set[str]]:
    """(services ``function`` calls, names it looks up on a services module that do not
    exist, model-writing methods it calls)."""
    function = inspect.unwrap(function)
    function = getattr(function, "__func__", function)  # a bound method
    scope = {**function.__globals__, **inspect.getclosurevars(function).nonlocals}
    called, missing, writes = set(), set(), set()
    for code in _codes(function.__code__):
        writes |= MODEL_WRITES & set(code.co_names)
        instructions = list(dis.get_instructions(code))
        for i, instruction in enumerate(instructions):
            if instruction.opname not in ("LOAD_GLOBAL", "LOAD_DEREF", "LOAD_NAME"):
                continue
            value = scope.get(instruction.argval)
            if isinstance(value, ModuleType) and SERVICE_MODULE.match(value.__name__):
                following = instructions[i + 1] if i + 1 < len(instructions) else None
                if following is None or following.opname not in ("LOAD_ATTR", "LOAD_METHOD"):
                    continue
                attribute = getattr(value, following.argval, None)
                if attribute is None:
                    missing.add(f"{value.__name__}.{following.argval}")
                elif _is_service(attribute):
                    called.add(_service_name(attribute))
            elif _is_service(value):
                called.add(_service_name(value))
            elif isinstance(value, dict) and value and all(map(_is_service, value.values())):
                called |= {_service_name(v) for v in value.values()}  # a dispatch table
    return called, missing, writes


def _function_problems(where: str, function, *, service: str | None = None) -> list[str]:
    called, missing, writes = _read(function)
    problems = [f"{where} calls {name}, which does not exist" for name in sorted(missing)]
    if writes:
        problems.append(f"{where} writes directly ({', '.join(sorted(writes))})")
    if not called:
        problems.append(f"{where} calls no service")
    elif service and service not in called:
        problems.append(f"{where} does not call {service} (calls {', '.join(sorted(called))})")
    return problems


# --- the admin -------------------------------------------------------------------------


def _product_admins():
    return [
        model_admin
        for model, model_admin in sorted(
            admin.site._registry.items(), key=lambda item: item[0]._meta.label_lower
        )
        if model._meta.app_label in PROJECT_APPS
        and model._meta.label_lower not in NOT_PRODUCT_MODELS
    ]


def _permitted(model_admin, request) -> set[str]:
    """What a superuser may do: add, change, delete."""
    allowed = {
        "add": model_admin.has_add_permission(request, None)
        if isinstance(model_admin, InlineModelAdmin)
        else model_admin.has_add_permission(request),
        "change": model_admin.has_change_permission(request, None),
        "delete": model_admin.has_delete_permission(request, None)
        and getattr(model_admin, "can_delete", True),
    }
    return {operation for operation, ok in allowed.items() if ok}


def _overrides(cls, hook) -> bool:
    """``hook`` is the project's own, not ServiceWritesAdmin's NotImplementedError."""
    owner = _owner(cls, hook)
    return _is_project(owner) and owner.__module__ != "core.admin_writes"


def _hook_problems(cls, operations, where) -> list[str]:
    problems = []
    for operation in sorted(operations):
        hook = HOOKS[operation]
        if _overrides(cls, hook):
            problems += _function_problems(f"{where}.{hook}", getattr(cls, hook))
        else:
            problems.append(f"{where} permits {operation} but does not override {hook}()")
    return problems


def _saves_problems(model_admin, permitted) -> tuple[list[str], bool]:
    """How the change form and the delete page write; and whether a reviewed override
    writes the inlines."""
    cls, name = type(model_admin), _qualname(type(model_admin))
    if issubclass(cls, ServiceWritesAdmin):
        problems, inlines_reviewed = _hook_problems(cls, permitted, name), False
        for method in PLUMBING:
            owner = _owner(cls, method)
            if owner.__module__ == "core.admin_writes":
                continue
            service = REVIEWED_OVERRIDES.get((name, method))
            if service is None:
                problems.append(
                    f"{name} overrides {method}() ({_qualname(owner)}): ServiceWritesAdmin's "
                    "is what routes the admin's writes to the hooks (or review it here)"
                )
            else:
                inlines_reviewed |= method == "save_formset"
                problems += _function_problems(
                    f"{name}.{method}", getattr(cls, method), service=service
                )
        return problems, inlines_reviewed
    if name in CUSTOM_WRITES_ADMINS:
        # (method, whether it must call a service): ModelAdmin's save_related calls
        # form.save_m2m() and each formset's save().
        needed = []
        if permitted & {"add", "change"}:
            needed += [("save_model", True), ("save_related", False)]
        if "delete" in permitted:
            needed += [("delete_model", True), ("delete_queryset", True)]
        problems = []
        for method, calls_service in needed:
            if not _is_project(_owner(cls, method)):
                problems.append(f"{name} permits writes but keeps ModelAdmin.{method}()")
            elif calls_service:
                problems += _function_problems(f"{name}.{method}", getattr(cls, method))
            elif _read(getattr(cls, method))[2]:
                problems.append(f"{name}.{method} writes directly")
        return problems, False
    return [
        f"{name} permits {', '.join(sorted(permitted))} to a superuser but is not a "
        "ServiceWritesAdmin, so the admin writes the model directly. Subclass "
        "core.admin_writes.ServiceWritesAdmin, or deny add, change and delete"
    ], False


def _inline_problems(model_admin, request) -> list[str]:
    cls, name = type(model_admin), _qualname(type(model_admin))
    problems = []
    for inline_class in model_admin.get_inlines(request, None):
        inline = inline_class(model_admin.model, model_admin.admin_site)
        where = f"{name} > {_qualname(inline_class)}"
        permitted = _permitted(inline, request)
        if not permitted:
            continue  # read-only
        if issubclass(inline_class, ServiceWritesInline) and issubclass(cls, ServiceWritesAdmin):
            problems += _hook_problems(inline_class, permitted, where)
        else:
            problems.append(
                f"{where} permits {', '.join(sorted(permitted))} but is not a "
                "ServiceWritesInline of a ServiceWritesAdmin: its formset saves rows directly"
            )
    return problems


def _action_problems(model_admin, request) -> list[str]:
    """Admin actions (delete_selected goes through delete_queryset, checked above), and
    the admin's own extra pages (get_urls)."""
    name = _qualname(type(model_admin))
    problems = []
    for action, (function, *_) in model_admin.get_actions(request).items():
        if action != "delete_selected":
            problems += _function_problems(f"{name} action {action}", function)
    standard = {"changelist_view", "add_view", "history_view", "delete_view", "change_view"}
    for pattern in model_admin.get_urls():
        view = inspect.unwrap(pattern.callback)
        if view.__name__ not in standard and not hasattr(view, "view_class"):
            problems += _function_problems(f"{name} page {pattern.name}", view)
    return problems


def _admin_problems(model_admin, request) -> list[str]:
    permitted = _permitted(model_admin, request)
    problems = _action_problems(model_admin, request)
    if not permitted:
        return problems  # read-only
    saves, inlines_reviewed = _saves_problems(model_admin, permitted)
    problems += saves
    if permitted & {"add", "change"} and not inlines_reviewed:
        problems += _inline_problems(model_admin, request)
    return problems


@pytest.fixture
def superuser(db):
    from tests.factories import UserFactory

    return UserFactory(username="write-paths-root", is_superuser=True)


@pytest.fixture
def superuser_request(superuser):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    return request


def test_the_project_apps_are_found():
    assert set(PROJECT_APPS) >= EXPECTED_APPS


@pytest.mark.parametrize("model_admin", _product_admins(), ids=lambda m: m.model._meta.label_lower)
def test_every_product_admin_writes_through_services(model_admin, superuser_request):
    assert _admin_problems(model_admin, superuser_request) == []


def test_the_reviewed_exceptions_are_still_there():
    """A stale exception would quietly allow the next admin of that name."""
    admins = {_qualname(type(m)) for m in _product_admins()}
    for name in CUSTOM_WRITES_ADMINS:
        assert name in admins
        assert not issubclass(resolve_name(name), ServiceWritesAdmin), (
            f"{name} is a ServiceWritesAdmin now: drop its exception"
        )
    for name, method in REVIEWED_OVERRIDES:
        assert name in admins
        assert method in vars(resolve_name(name))
    for label in NOT_PRODUCT_MODELS:
        assert apps.get_model(label)


# --- the API (and every other route outside the admin) ---------------------------------


def _patterns(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _patterns(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        else:
            name = f"{namespace}{pattern.name}" if pattern.name else None
            yield prefix + str(pattern.pattern), name, pattern.callback


def _routes():
    """(write routes of DRF views: (METHOD, route, view class, action)), (other views by
    url name: callback)."""
    writes, others = {}, {}
    for route, name, callback in _patterns(get_resolver("config.urls").url_patterns):
        cls = getattr(callback, "cls", None)
        if cls is None:  # not a DRF view
            others.setdefault(name or route, callback)
            continue
        actions = getattr(callback, "actions", None)
        if actions is None:  # an APIView: its handlers
            actions = {method: method for method in WRITE_METHODS if hasattr(cls, method)}
        for method, action in actions.items():
            if method in WRITE_METHODS and method in cls.http_method_names:
                # the format-suffix twin of a route is the same write
                writes.setdefault((method.upper(), cls, action), route)
    return (
        sorted(
            ((method, route, cls, action) for (method, cls, action), route in writes.items()),
            key=lambda row: (row[1], row[0]),
        ),
        others,
    )


WRITE_ROUTES, OTHER_VIEWS = _routes()

# DRF's defaults save through the serializer or delete the instance; a project class must
# replace the action itself or its perform_* hook.
DEFAULT_ACTIONS = {
    "create": (("create",), "perform_create"),
    "update": (("update",), "perform_update"),
    "partial_update": (("partial_update", "update"), "perform_update"),
    "destroy": (("destroy",), "perform_destroy"),
}


def _route_problems(cls, action) -> list[str]:
    name = _qualname(cls)
    if action in DEFAULT_ACTIONS:
        overrides, perform = DEFAULT_ACTIONS[action]
        for method in (*overrides, perform):
            if _is_project(_owner(cls, method)):
                return _function_problems(f"{name}.{method}", getattr(cls, method))
        return [
            f"{name}.{action} is DRF's: it writes with serializer.save() / instance.delete(). "
            f"Override {perform}() (or {action}()) to call a service"
        ]
    owner = _owner(cls, action)
    if not _is_project(owner):
        return [f"{name}.{action} is not project code ({owner and _qualname(owner)})"]
    return _function_problems(f"{name}.{action}", getattr(cls, action))


@pytest.mark.parametrize(
    ("method", "route", "cls", "action"),
    WRITE_ROUTES,
    ids=[f"{method} {route} {action}" for method, route, _, action in WRITE_ROUTES],
)
def test_every_write_route_calls_a_service(method, route, cls, action):
    assert _route_problems(cls, action) == []


def test_every_other_view_is_reviewed():
    """Views that are not DRF views are not checked above: each is listed, with the
    service it writes through."""
    assert set(OTHER_VIEWS) == set(NON_API_VIEWS)
    for name, service in NON_API_VIEWS.items():
        callback = OTHER_VIEWS[name]
        if service is not None:
            assert _function_problems(name, callback, service=service) == []


def test_the_enumeration_finds_the_known_write_paths():
    """Guards the checks above against passing because they found nothing."""
    from catalog.admin import TeamAdmin
    from core.admin import ApiTokenAdmin
    from incidents.api.ingest import AlertmanagerIngestView
    from incidents.api.views import EscalationPolicyViewSet, IncidentViewSet
    from oncall.admin import MemberInline, ScheduleAdmin
    from oncall.api.views import MyCalendarView, ScheduleViewSet
    from webhooks.api.views import OutgoingWebhookViewSet

    admins = {type(m) for m in _product_admins()}
    assert {TeamAdmin, ScheduleAdmin, ApiTokenAdmin} <= admins
    assert MemberInline in {i for m in _product_admins() for i in m.inlines}
    found = {(method, cls, action) for method, _, cls, action in WRITE_ROUTES}
    assert {
        ("POST", OutgoingWebhookViewSet, "create"),
        ("DELETE", ScheduleViewSet, "destroy"),
        ("POST", ScheduleViewSet, "overrides"),
        ("PATCH", EscalationPolicyViewSet, "partial_update"),
        ("PATCH", IncidentViewSet, "partial_update"),
        ("POST", IncidentViewSet, "acknowledge"),
        ("POST", AlertmanagerIngestView, "post"),
        ("POST", MyCalendarView, "post"),
    } <= found
    assert ("PUT", IncidentViewSet, "update") not in found  # http_method_names has no put


def test_the_checks_catch_direct_writes(superuser_request):
    """The checks themselves: an admin and a viewset that save directly are reported."""
    from catalog import services
    from catalog.models import Team

    class PlainAdmin(admin.ModelAdmin):
        pass

    class SavingAdmin(ServiceWritesAdmin):
        def create(self, request, data, parent=None):
            return Team.objects.create(**data)

        def update(self, request, instance, data):
            return services.team_updaet(team=instance, **data)

        def save_model(self, request, obj, form, change):
            obj.save()

    class PlainInline(admin.TabularInline):
        model = Team.members.through

    class ReadOnlyAdmin(admin.ModelAdmin):
        inlines = (PlainInline,)

        def has_add_permission(self, request):
            return False

        def has_change_permission(self, request, obj=None):
            return False

        def has_delete_permission(self, request, obj=None):
            return False

    class PurgingAdmin(ReadOnlyAdmin):
        actions = ("purge",)

        @admin.action(description="Purge")
        def purge(self, request, queryset):
            queryset.delete()

    class HalfReadOnlyAdmin(ServiceWritesAdmin):
        inlines = (PlainInline,)

        def has_add_permission(self, request):
            return False

        def has_delete_permission(self, request, obj=None):
            return False

        def update(self, request, instance, data):
            return services.team_update(team=instance, **data)

    class DirectViewSet(viewsets.ModelViewSet):
        queryset = Team.objects.all()

    class HalfViewSet(viewsets.ModelViewSet):
        queryset = Team.objects.all()

        def perform_create(self, serializer):
            serializer.save()

    def problems(admin_class):
        return _admin_problems(admin_class(Team, admin.site), superuser_request)

    assert "is not a ServiceWritesAdmin" in problems(PlainAdmin)[0]
    saving = "\n".join(problems(SavingAdmin))
    assert "SavingAdmin.create writes directly (create)" in saving
    assert "SavingAdmin.create calls no service" in saving
    assert "catalog.services.team_updaet, which does not exist" in saving
    assert "does not override delete()" in saving
    assert "overrides save_model()" in saving
    assert problems(ReadOnlyAdmin) == []
    assert problems(PurgingAdmin) == [
        f"{_qualname(PurgingAdmin)} action purge writes directly (delete)",
        f"{_qualname(PurgingAdmin)} action purge calls no service",
    ]
    half = problems(HalfReadOnlyAdmin)
    assert len(half) == 1
    assert "PlainInline permits" in half[0]
    assert "is DRF's" in _route_problems(DirectViewSet, "create")[0]
    assert "is DRF's" in _route_problems(DirectViewSet, "destroy")[0]
    assert _route_problems(HalfViewSet, "create") == [
        f"{_qualname(HalfViewSet)}.perform_create writes directly (save)",
        f"{_qualname(HalfViewSet)}.perform_create calls no service",
    ]


# --- real requests, with a spy around the service --------------------------------------


def spy(target: str):
    """``target`` replaced by a mock that records its calls and runs the real function."""
    return mock.patch(target, wraps=resolve_name(target))


@pytest.fixture
def admin_client(superuser):
    client = Client()
    client.force_login(superuser)
    return client


@pytest.fixture
def api(superuser):
    client = APIClient()
    client.force_authenticate(superuser)
    return client


def management_forms(client, url, **totals) -> dict:
    """The inline management forms of the admin page at ``url``, as a browser posts them
    with no inline rows (``totals``: prefix -> the number of rows posted)."""
    response = client.get(url)
    assert response.status_code == 200
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        assert formset.initial_form_count() == 0, f"{formset.prefix} has rows to post"
        data[f"{formset.prefix}-TOTAL_FORMS"] = totals.get(formset.prefix, 0)
        data[f"{formset.prefix}-INITIAL_FORMS"] = 0
    return data


def test_admin_add_of_a_team_calls_team_create(admin_client):
    from catalog.models import Team

    with spy("catalog.services.team_create") as team_create:
        response = admin_client.post(
            "/admin/catalog/team/add/", {"name": "Payments", "slug": "payments"}
        )

    assert response.status_code == 302, response.content.decode()[:2000]
    team_create.assert_called_once()
    assert team_create.call_args.kwargs["slug"] == "payments"
    assert Team.objects.get(slug="payments").name == "Payments"


def test_admin_change_of_a_service_calls_service_update(admin_client):
    from tests.factories import ServiceFactory

    service = ServiceFactory(name="Checkout", tier=2)
    url = f"/admin/catalog/service/{service.pk}/change/"
    data = {
        "name": "Checkout API",
        "slug": service.slug,
        "description": "",
        "team": service.team_id,
        "tier": 1,
        "runbook_url": "",
        **management_forms(admin_client, url),
    }

    with spy("catalog.services.service_update") as service_update:
        response = admin_client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    service_update.assert_called_once()
    assert service_update.call_args.kwargs == {
        "service": service,
        "name": "Checkout API",
        "tier": 1,
    }
    service.refresh_from_db()
    assert (service.name, service.tier) == ("Checkout API", 1)


def test_admin_delete_of_a_contact_method_calls_contact_method_delete(admin_client, superuser):
    from oncall.models import ContactMethod
    from oncall.services import contact_method_create

    method = contact_method_create(user=superuser, kind="email", address="root@example.com")

    with spy("oncall.services.contact_method_delete") as contact_method_delete:
        response = admin_client.post(
            f"/admin/oncall/contactmethod/{method.pk}/delete/", {"post": "yes"}
        )

    assert response.status_code == 302
    contact_method_delete.assert_called_once()
    # a deleted instance has no pk left to compare by
    assert contact_method_delete.call_args.kwargs["method"].address == "root@example.com"
    assert not ContactMethod.objects.filter(pk=method.pk).exists()


def test_admin_add_of_a_schedule_with_an_override_calls_override_create(admin_client, superuser):
    from oncall.models import Schedule
    from tests.factories import TeamFactory

    team = TeamFactory()
    url = "/admin/oncall/schedule/add/"
    data = {
        "name": "Primary",
        "team": team.pk,
        "time_zone": "UTC",
        "description": "",
        **management_forms(admin_client, url, overrides=1),
        "overrides-0-user": superuser.pk,
        "overrides-0-start_0": "2030-01-01",
        "overrides-0-start_1": "09:00:00",
        "overrides-0-end_0": "2030-01-02",
        "overrides-0-end_1": "09:00:00",
        "overrides-0-reason": "cover",
    }

    with (
        spy("oncall.services.schedule_create") as schedule_create,
        spy("oncall.services.override_create") as override_create,
    ):
        response = admin_client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    schedule_create.assert_called_once()
    override_create.assert_called_once()
    schedule = Schedule.objects.get(name="Primary")
    assert override_create.call_args.kwargs["schedule"] == schedule
    assert schedule.overrides.get().reason == "cover"


def test_admin_layer_members_are_written_by_layer_members_set(admin_client, superuser):
    """The reviewed override (ScheduleLayerAdmin.save_formset) writes through a service."""
    from datetime import timedelta

    from oncall.services import schedule_create
    from tests.factories import TeamFactory, UserFactory

    schedule = schedule_create(
        name="s",
        team=TeamFactory(),
        layers=[
            {
                "name": "weekly",
                "rotation_length": timedelta(days=7),
                "handoff_date": "2030-01-01",
                "handoff_time": "09:00",
            }
        ],
    )
    layer = schedule.layers.get()
    other = UserFactory()
    url = f"/admin/oncall/schedulelayer/{layer.pk}/change/"
    response = admin_client.get(url)
    prefix = response.context["inline_admin_formsets"][0].formset.prefix
    data = {
        "schedule": schedule.pk,
        "name": "weekly",
        "priority": layer.priority,
        "rotation_length_amount": "1",
        "rotation_length_unit": "weeks",
        "handoff_date": "2030-01-01",
        "handoff_time": "09:00:00",
        "restrictions-0-start": "",
        "restrictions-0-end": "",
        f"{prefix}-TOTAL_FORMS": 2,
        f"{prefix}-INITIAL_FORMS": 0,
        f"{prefix}-0-position": 1,
        f"{prefix}-0-user": other.pk,
        f"{prefix}-1-position": 0,
        f"{prefix}-1-user": superuser.pk,
    }

    with spy("oncall.services.layer_members_set") as layer_members_set:
        response = admin_client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    layer_members_set.assert_called_once_with(layer=layer, users=[superuser, other])
    assert [m.user for m in layer.members.order_by("position")] == [superuser, other]


def test_admin_change_of_an_api_token_calls_api_token_update(admin_client, superuser):
    from core.services import api_token_create

    token = api_token_create(user=superuser, name="ci").token

    with spy("core.services.api_token_update") as api_token_update:
        response = admin_client.post(
            f"/admin/core/apitoken/{token.pk}/change/",
            {"name": "ci deploys", "expires_at_0": "", "expires_at_1": ""},
        )

    assert response.status_code == 302, response.content.decode()[:2000]
    api_token_update.assert_called_once_with(token=token, name="ci deploys")
    token.refresh_from_db()
    assert token.name == "ci deploys"


def test_api_post_of_a_webhook_calls_webhook_create(api):
    from webhooks.models import OutgoingWebhook

    with spy("webhooks.services.webhook_create") as webhook_create:
        response = api.post(
            "/api/webhooks",
            {"name": "chatops", "url": "https://hooks.example.com/vigil"},
            format="json",
        )

    assert response.status_code == 201, response.json()
    webhook_create.assert_called_once()
    assert OutgoingWebhook.objects.get(pk=response.json()["id"]).name == "chatops"


def test_api_delete_of_a_schedule_calls_schedule_delete(api):
    from oncall.models import Schedule
    from oncall.services import schedule_create
    from tests.factories import TeamFactory

    schedule = schedule_create(name="Secondary", team=TeamFactory())

    with spy("oncall.services.schedule_delete") as schedule_delete:
        response = api.delete(f"/api/schedules/{schedule.pk}")

    assert response.status_code == 204
    schedule_delete.assert_called_once()
    assert schedule_delete.call_args.kwargs["schedule"].name == "Secondary"
    assert not Schedule.objects.filter(pk=schedule.pk).exists()


def test_api_patch_of_an_escalation_policy_calls_policy_save(api):
    from incidents.services import policy_save
    from tests.factories import TeamFactory

    policy = policy_save(name="Default", team=TeamFactory())

    with spy("incidents.services.policy_save") as spied:
        response = api.patch(
            f"/api/escalation-policies/{policy.pk}", {"name": "Daytime"}, format="json"
        )

    assert response.status_code == 200, response.json()
    spied.assert_called_once()
    assert spied.call_args.kwargs == {"policy": policy, "name": "Daytime"}
    policy.refresh_from_db()
    assert policy.name == "Daytime"


def test_api_patch_of_an_escalation_rule_calls_escalation_rule_update(api):
    from incidents.services import escalation_rule_set, policy_save
    from tests.factories import ServiceFactory

    service = ServiceFactory()
    first = policy_save(name="First", team=service.team)
    second = policy_save(name="Second", team=service.team)
    rule = escalation_rule_set(service=service, policy=first)

    with spy("incidents.services.escalation_rule_update") as escalation_rule_update:
        response = api.patch(
            f"/api/escalation-rules/{rule.pk}", {"policy": second.pk}, format="json"
        )

    assert response.status_code == 200, response.json()
    escalation_rule_update.assert_called_once_with(rule=rule, policy=second)
    rule.refresh_from_db()
    assert rule.policy == second
