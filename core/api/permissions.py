from rest_framework import permissions


class RoleModelPermissions(permissions.DjangoModelPermissions):
    """Model permissions, reads included: Viewer needs ``view_<model>`` to list.

    The roles (core.roles) are groups holding these permissions, so one class serves
    every endpoint; actions that change an object ask for ``change_<model>``.
    """

    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }

    def has_permission(self, request, view):
        # A method the endpoint does not offer is a 405 for everyone, not a 403 for some.
        if request.method not in ("GET", "HEAD", "OPTIONS") and not hasattr(
            view, request.method.lower()
        ):
            return bool(request.user and request.user.is_authenticated)
        return super().has_permission(request, view)


class WorkPermission(permissions.BasePermission):
    """For actions that work an object (acknowledge, resolve, add a note...):
    ``change_<model>`` whatever the HTTP method."""

    def has_permission(self, request, view):
        model = view.get_queryset().model
        meta = model._meta
        return request.user.has_perm(f"{meta.app_label}.change_{meta.model_name}")
