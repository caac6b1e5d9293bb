from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from referrals.screening_tools import ToolFileInvalid
from referrals.services.screening import tool_load


class Command(BaseCommand):
    help = (
        "Load an exploitation screening tool from its YAML file (see docs/screening.md). The file is checked first: "
        "each problem is printed with its line and nothing is loaded. A new version is added beside the earlier ones, "
        "whose screenings keep the version they were done with."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--licence-ref",
            default="",
            help="The licence under which a tool that needs one (licence_required: true) is used.",
        )

    def handle(self, *, file: Path, licence_ref: str, **options):
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror}") from None
        try:
            tool, new = tool_load(text, licence_ref=licence_ref)
        except ToolFileInvalid as invalid:
            raise CommandError(
                f"{file} was not loaded:\n" + "\n".join(f"{file}:{line}: {reason}" for line, reason in invalid.problems)
            ) from None
        if not new:
            self.stdout.write(f"{tool.name} is already loaded from this file; nothing changed.")
        elif not tool.usable:
            self.stdout.write(f"Loaded {tool.name}. It needs a licence reference before a school can choose it.")
        else:
            self.stdout.write(f"Loaded {tool.name}: {len(tool.tool().items)} items, {len(tool.tool().bands)} bands.")
