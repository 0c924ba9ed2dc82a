from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Platform"

    def ready(self):
        from core.db import register_sqlite_functions
        from core.periodic import periodic_tasks_install_after_migrate
        from core.roles import roles_sync_after_migrate

        # Both run once per migrate, after every app's migrations: permissions for
        # new models exist only then, and so do django-celery-beat's tables.
        post_migrate.connect(roles_sync_after_migrate, sender=self, dispatch_uid="core.roles")
        post_migrate.connect(
            periodic_tasks_install_after_migrate, sender=self, dispatch_uid="core.periodic"
        )
        connection_created.connect(register_sqlite_functions, dispatch_uid="core.sqlite_functions")
