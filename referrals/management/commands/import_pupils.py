import argparse
import sys
import uuid
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from referrals.pupil_import import COLUMNS_HELP, UnreadableFile, check_pupil_file
from referrals.services.children import roster_import
from safeguarding.accounts.models import School

PROGRESS_FROM_ROWS = 500


class Command(BaseCommand):
    help = (
        "Import or update a school's pupils from a CSV file. Every row is checked first: if any row is bad, "
        "nothing is imported and each bad row is listed. Existing pupils are matched by UPN."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        parser.epilog = COLUMNS_HELP
        return parser

    def add_arguments(self, parser):
        parser.add_argument("school", help="The school's URN (or its UUID).")
        parser.add_argument("file", type=Path, help="The CSV file.")
        parser.add_argument("--check", action="store_true", help="Only check the file; import nothing.")

    def handle(self, *, school, file, check, verbosity, **options):
        school = self.find_school(school)
        try:
            checked = check_pupil_file(file.read_bytes())
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        except UnreadableFile as error:
            raise CommandError(f"Nothing imported. {error}") from None
        if not checked.ok:
            for problem in checked.problems:
                self.stderr.write(str(problem))
            bad_lines = len({problem.line for problem in checked.problems})
            raise CommandError(f"Nothing imported: {bad_lines} of {len(checked.rows)} rows have problems.")
        if check:
            self.stdout.write(f"The file is good: {len(checked.rows)} pupils. Nothing imported (--check).")
            return
        show_progress = verbosity > 0 and len(checked.rows) >= PROGRESS_FROM_ROWS
        counts = roster_import(school=school, rows=checked.rows, progress=self.progress if show_progress else None)
        if show_progress:
            self.stderr.write("")
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {len(checked.rows)} pupils into {school.name}: {counts.created} created, "
                f"{counts.updated} updated, {counts.unchanged} unchanged."
            )
        )

    def find_school(self, key):
        school = School.objects.filter(urn=key).first()
        if school is None:
            try:
                school = School.objects.filter(uuid=uuid.UUID(key)).first()
            except ValueError:
                school = None
        if school is None:
            raise CommandError(f"No school has the URN or UUID {key!r}.")
        return school

    def progress(self, done, total):
        if done % max(1, total // 50) and done != total:
            return
        width = 40
        filled = width * done // total
        self.stderr.write(f"\r[{'#' * filled}{' ' * (width - filled)}] {done}/{total}", ending="")
        sys.stderr.flush()
