from django.core.management.base import BaseCommand

from core.periodic import periodic_tasks_install


class Command(BaseCommand):
    help = (
        "Install the default beat schedule (editable in the admin under Periodic tasks). "
        "Existing tasks are left as they are."
    )

    def handle(self, *args, **options):
        created = periodic_tasks_install()
        for name in created:
            self.stdout.write(f"  added periodic task: {name}")
        self.stdout.write(
            self.style.SUCCESS(f"Periodic tasks: {len(created)} added, the rest already present.")
        )
