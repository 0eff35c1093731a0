from django.core.management.base import BaseCommand

from portal import demo


class Command(BaseCommand):
    help = "Create the fictional demo area (organisations and a user per role). Idempotent."

    def handle(self, *args, **options):
        created = demo.seed()
        summary = ", ".join(f"{count} {name}" for name, count in created.items())
        self.stdout.write(f"Demo data: created {summary}.")
