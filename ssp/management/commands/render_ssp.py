from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assessments.models import today
from ssp.cli import RenderRefused, parse_date, render_file


class Command(BaseCommand):
    help = (
        "Render the System Security Plan held in an assessment JSON file (version 2, with its \"ssp\" section) to "
        "DOCX and/or PDF, as the Generate button would, without changing the database. See docs/ssp.md."
    )
    # Nothing here depends on the project's system checks, and their warnings would break "one line on stderr".
    requires_system_checks = []

    def add_base_argument(self, parser, *args, **kwargs) -> None:
        if "--version" not in args:  # here --version is the plan's version label, not Django's
            super().add_base_argument(parser, *args, **kwargs)

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="the assessment JSON file, or - for standard input")
        parser.add_argument("--docx", metavar="OUT.docx", help="write the plan as DOCX here")
        parser.add_argument("--pdf", metavar="OUT.pdf", help="write the plan as PDF here")
        parser.add_argument("--version", default="1.0",
                            help="the version label on the title page and in the record of changes (default 1.0)")
        parser.add_argument("--date", default="", help="the document's date, YYYY-MM-DD (default today)")
        parser.add_argument("--description", default=None,
                            help='what changed, for the record of changes (default "Initial version")')
        parser.add_argument("--made-by", default=None, help="who made this version (default the plan's approver)")

    def handle(self, *args, file: str, docx: str | None, pdf: str | None, version: str, date: str,
               description: str | None, made_by: str | None, **options) -> None:
        try:
            rendered = render_file(
                file=file, docx=Path(docx) if docx else None, pdf=Path(pdf) if pdf else None, label=version,
                on=parse_date(text=date) if date else today(), description=description, made_by=made_by,
            )
        except RenderRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(rendered.summary)
        if options["verbosity"] > 1:
            for item in rendered.open_items:
                self.stdout.write(f"  {item}")
