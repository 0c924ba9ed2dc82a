"""drf-spectacular: the schema class every view uses, and the hooks around it."""

from drf_spectacular.drainage import warn
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import get_doc, get_view_model
from rest_framework.permissions import (
    AllowAny,
    DjangoModelPermissions,
    IsAdminUser,
    IsAuthenticated,
)

from core.api.permissions import WorkPermission
from core.roles import ROLES, app_roles, role_permission_codenames

# A viewset's standard actions: a one-line summary and what the operation does, from the
# model's verbose names. The viewset's docstring (what the resource is) follows it.
_STANDARD_ACTIONS = {
    "list": (
        "List {plural}",
        "The {plural}, a page at a time (`count`, `next`, `previous`, `results`); the query "
        "parameters filter and order them. A page past the end is a 404.",
    ),
    "create": (
        "Create {a} {name}",
        "Create {a} {name}: answers 201 with it, or 400 naming each invalid field.",
    ),
    "retrieve": ("Retrieve {a} {name}", "One {name}, by its id; 404 when there is none."),
    "update": (
        "Update {a} {name}",
        "Replace the {name}'s writable fields (send them all): answers it updated, 400 "
        "naming each invalid field, or 404 when there is none.",
    ),
    "partial_update": (
        "Partially update {a} {name}",
        "Change only the fields sent: answers the {name} updated, 400 naming each invalid "
        "field, or 404 when there is none.",
    ),
    "destroy": (
        "Delete {a} {name}",
        "Delete the {name}: answers 204 with no body, or 404 when there is none.",
    ),
}
_UNPAGED_LIST = "The {plural}, in one list; the query parameters filter and order them."
# Capitals read as letters: an SLO, an API token, a URL.
_VOWEL_SOUNDING_LETTERS = set("AEFHILMNORSX")


def _article(name: str) -> str:
    word = name.split()[0] if name else ""
    if word.isupper():
        return "an" if word[0] in _VOWEL_SOUNDING_LETTERS else "a"
    return "an" if word[:1].lower() in "aeiou" else "a"


def _joined(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


class AutoSchema(SpectacularAutoSchema):
    """Every operation gets a one-line summary and its own description, ending with who
    may call it. A viewset's standard actions get both from the model's verbose names;
    custom actions and plain views bring their own (``extend_schema(summary=...)`` and
    their docstring) and never fall back to the viewset's docstring, so that no two
    operations read the same."""

    def get_summary(self):
        action = getattr(self.view, "action", None)
        model = self._model()
        if action in _STANDARD_ACTIONS and model is not None:
            return _STANDARD_ACTIONS[action][0].format(**self._names(model))
        return super().get_summary()

    def get_description(self):
        action = getattr(self.view, "action", None)
        if action is None:  # a plain APIView: its method's docstring, or the view's
            return super().get_description()
        own = get_doc(getattr(self.view, action, None))
        model = self._model()
        if action in _STANDARD_ACTIONS and model is not None:
            template = _STANDARD_ACTIONS[action][1]
            if action == "list" and self.view.pagination_class is None:
                template = _UNPAGED_LIST
            own = own or template.format(**self._names(model))
            return "\n\n".join(part for part in (own, get_doc(self.view.__class__)) if part)
        return own

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is not None:
            access = self._access()
            description = operation.get("description", "")
            operation["description"] = f"{description}\n\n{access}" if description else access
        return operation

    def _model(self):
        return get_view_model(self.view, emit_warnings=False)

    @staticmethod
    def _names(model) -> dict:
        name = str(model._meta.verbose_name)
        return {"name": name, "a": _article(name), "plural": str(model._meta.verbose_name_plural)}

    def _access(self) -> str:
        """Who may call the operation, read from the view's permission classes."""
        permissions = self.view.get_permissions()
        if any(isinstance(p, AllowAny) for p in permissions):
            # These endpoints check a secret of their own (an integration's, a feed's).
            return "Who may call: whoever holds the secret described above; no user session."
        required, staff = [], False
        for permission in permissions:
            if isinstance(permission, DjangoModelPermissions):
                model = permission._queryset(self.view).model
                required += permission.get_required_permissions(self.method, model)
            elif isinstance(permission, WorkPermission):
                meta = self._model()._meta
                required.append(f"{meta.app_label}.change_{meta.model_name}")
            elif isinstance(permission, IsAdminUser):
                staff = True
            elif not isinstance(permission, IsAuthenticated):
                # A check this schema cannot put into words: say so (schema generation
                # fails on warnings in the tests) rather than describe it wrongly.
                warn(f"cannot describe who may call: {type(permission).__name__}")
        who = [_holders(code) for code in required]
        if staff:
            who.insert(0, "staff users (`is_staff`)")
        if not who:
            signed_in = any(isinstance(p, IsAuthenticated) for p in permissions)
            who = ["any signed-in user" if signed_in else "anyone"]
        return "Who may call: " + "; ".join(who) + "."


def _holders(permission: str) -> str:
    app_label, codename = permission.split(".", 1)
    declared = app_roles()
    roles = [
        role for role in ROLES if role_permission_codenames(role, [(app_label, codename)], declared)
    ]
    if not roles:
        return f"holders of `{permission}` (no role grants it: superusers)"
    noun = "role" if len(roles) == 1 else "roles"
    return f"holders of `{permission}` (the {_joined(roles)} {noun})"


def strip_optional_trailing_slash(endpoints, **kwargs):
    """Routes accept a path with or without its trailing slash (``/?``); the schema
    names the form without one, as the API's documented paths are written."""
    return [
        (path.rstrip("/") if path != "/" else path, path_regex, method, callback)
        for path, path_regex, method, callback in endpoints
    ]


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string", "example": "validation_error"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": True,
                    "description": "Per-field messages, for validation errors.",
                },
            },
        }
    },
}

_ERRORS = {
    "400": "Invalid input.",
    "401": "Not authenticated, or an invalid token.",
    "403": "Not allowed for this user's roles.",
    "404": "No such object (or no such page of a list).",
    "409": "The object's current state forbids this (an illegal move, or it is still in use).",
    "413": "The request body is too large.",
    "503": "A dependency is unavailable; retry later.",
}
_WRITE_METHODS = {"post", "put", "patch"}
_CHANGING_METHODS = {*_WRITE_METHODS, "delete"}
_PAGING = {"page", "page_size"}


def add_error_responses(result, **kwargs):
    """Every operation can answer with the error shape; say which statuses, and how it looks."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            statuses = ["401", "403", "503"]
            parameters = {p.get("name") for p in operation.get("parameters", [])}
            queried = any(p.get("in") == "query" for p in operation.get("parameters", []))
            if method in _WRITE_METHODS:
                statuses += ["400", "413"]
            elif queried:
                statuses.append("400")  # a filter or query value that cannot be read
            if method in _CHANGING_METHODS:
                statuses.append("409")
            if "{" in path or "page" in parameters:
                statuses.append("404")
            if method == "get":
                for parameter in operation.get("parameters", []):
                    if parameter.get("in") == "query" and parameter["name"] not in _PAGING:
                        # An empty filter or search value means "not filtered".
                        parameter["allowEmptyValue"] = True
            responses = operation.setdefault("responses", {})
            for status in statuses:
                responses.setdefault(status, {"description": _ERRORS[status], "content": reference})
            for status, response in responses.items():
                # An error a view declares itself (by its description) has the same shape.
                if status in _ERRORS and "content" not in response:
                    response["content"] = reference
    return result
