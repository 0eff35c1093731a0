"""manage.py export_services --organisation <slug> [--format csv|json] [--output path]

An organisation's services as the import's CSV (round-trips: exporting and importing back changes
nothing) or as a JSON list of full Open Referral UK service objects. A confidential location's
name, address and coordinates are never in either.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand

from services import transfer
from services.management.commands.import_services_csv import organisation_for


class Command(BaseCommand):
    help = "Export an organisation's services as CSV or Open Referral UK JSON."

    def add_arguments(self, parser):
        parser.add_argument("--organisation", required=True, help="the organisation's slug")
        parser.add_argument("--format", choices=["csv", "json"], default="csv")
        parser.add_argument("--output", help="write to this file instead of standard output")

    def handle(self, *args, **options):
        organisation = organisation_for(options["organisation"])
        if options["format"] == "csv":
            body = transfer.export_csv(organisation)
        else:
            body = json.dumps(transfer.export_oruk(organisation), indent=2, ensure_ascii=False)
            body += "\n"
        if options["output"]:
            Path(options["output"]).write_text(body, encoding="utf-8")
            self.stderr.write(f"Wrote {organisation.name}'s services to {options['output']}.")
        else:
            self.stdout.write(body, ending="")
