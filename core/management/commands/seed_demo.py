from django.core.management.base import BaseCommand
from django.db import transaction

from core.discovery import project_app_modules


class Command(BaseCommand):
    help = (
        "Load demo data. Safe to run again: what exists is kept. Each app adds its part "
        "in <app>/demo.py (a seed(*, stdout) function), in INSTALLED_APPS order."
    )

    def handle(self, *args, **options):
        seeders = project_app_modules("demo")
        for index, module in enumerate(seeders, start=1):
            label = module.__name__.rsplit(".", 1)[0]
            self.stdout.write(f"[{index}/{len(seeders)}] {label} …")
            with transaction.atomic():
                module.seed(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
