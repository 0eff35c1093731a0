"""manage.py import_services_csv --organisation <slug> --file services.csv [--check]

One row per service (the columns are in docs/directory-csv.md). A file with any problem imports
nothing: every problem is printed by row and column and the command fails.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from services import transfer


def organisation_for(slug: str) -> Organisation:
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        raise CommandError(f'No organisation has the slug "{slug}".')
    return organisation


def finish(command: BaseCommand, report: transfer.Report, *, source: str, organisation) -> None:
    """Print what happened, or every problem and fail."""
    if report.problems:
        for line in report.problem_lines():
            command.stderr.write(line)
        raise CommandError(
            f"{len(report.problems)} problem{'s' if len(report.problems) != 1 else ''} in "
            f"{source}; nothing was imported."
        )
    if report.saved:
        command.stdout.write(f"Imported {source} into {organisation.name}: {report.summary()}.")
    else:
        command.stdout.write(
            f"Checked {source} for {organisation.name}, nothing saved. It would make: "
            f"{report.summary()}."
        )


class Command(BaseCommand):
    help = "Import services from a CSV file into an organisation (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("--organisation", required=True, help="the organisation's slug")
        parser.add_argument("--file", required=True, help="path of the CSV file")
        parser.add_argument(
            "--check", action="store_true", help="check the file and say what would change"
        )

    def handle(self, *args, **options):
        organisation = organisation_for(options["organisation"])
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from error
        report = transfer.import_file(
            organisation=organisation,
            content=content,
            filename=path.name if path.suffix.lower() == ".csv" else f"{path.name}.csv",
            commit=not options["check"],
        )
        finish(self, report, source=path.name, organisation=organisation)
