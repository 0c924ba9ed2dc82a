"""Find a module of the same name in each of the project's own apps (not third-party ones)."""

from importlib import import_module
from importlib.util import find_spec
from pathlib import Path
from types import ModuleType

from django.apps import apps
from django.conf import settings


def project_app_modules(submodule: str) -> list[ModuleType]:
    """``<app>.<submodule>`` for each project app that has one, in INSTALLED_APPS order."""
    base = Path(settings.BASE_DIR).resolve()
    modules = []
    for config in apps.get_app_configs():
        # A project app is a package right under the project's folder (the virtualenv
        # may live there too, but its packages are deeper).
        if Path(config.path).resolve().parent != base:
            continue
        name = f"{config.name}.{submodule}"
        try:
            found = find_spec(name) is not None
        except ModuleNotFoundError:  # a parent package (e.g. ``app.api``) is missing
            found = False
        if found:
            modules.append(import_module(name))
    return modules
