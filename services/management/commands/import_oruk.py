"""manage.py import_oruk --organisation <slug> (--file services.json | --url https://other/api/oruk)

Open Referral UK services, from a file (a list of service objects or a Page envelope) or from
another portal's feed (every page of /services, then each /services/{id}), into the named
organisation. Ids are kept. A feed with any problem imports nothing.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from services import transfer
from services.management.commands.import_services_csv import finish, organisation_for


class Command(BaseCommand):
    help = "Import Open Referral UK services from a file or a feed into an organisation."

    def add_arguments(self, parser):
        parser.add_argument("--organisation", required=True, help="the organisation's slug")
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--file", help="a JSON file of ORUK service objects")
        source.add_argument("--url", help="the feed's base address, e.g. https://other/api/oruk")
        parser.add_argument(
            "--check", action="store_true", help="check the services and say what would change"
        )

    def handle(self, *args, **options):
        organisation = organisation_for(options["organisation"])
        try:
            if options["url"]:
                source = options["url"]
                data = transfer.fetch_oruk_feed(options["url"])
            else:
                path = Path(options["file"])
                source = path.name
                try:
                    data = path.read_bytes()
                except OSError as error:
                    raise CommandError(f"Cannot read {path}: {error.strerror}.") from error
            incoming = transfer.read_oruk(data)
        except transfer.FileProblem as problem:
            raise CommandError(problem.message) from problem
        report = transfer.import_incoming(
            organisation=organisation,
            incoming=incoming,
            commit=not options["check"],
            format="json",
        )
        finish(self, report, source=source, organisation=organisation)
