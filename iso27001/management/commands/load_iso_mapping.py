from django.core.management.base import BaseCommand, CommandError

from iso27001.mapping import FIXTURE, MappingError, load_mapping, read_mapping


class Command(BaseCommand):
    help = "Load the NIST SP 800-171 -> ISO/IEC 27001 mapping fixture. Idempotent; validates before writing."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(FIXTURE))

    def handle(self, *args, path: str, **options) -> None:
        try:
            mapping = read_mapping(path)
            report = load_mapping(mapping=mapping)
        except MappingError as exc:
            raise CommandError(f"{path}: {exc}. Nothing was written.") from exc
        if not report.changed:
            self.stdout.write(
                f"ISO 27001 mapping already up to date ({report.controls_unchanged} controls, "
                f"{report.rows_unchanged} mapping rows unchanged); nothing written."
            )
            return
        parts = []
        for label, value in (("controls created", report.controls_created),
                             ("controls updated", report.controls_updated),
                             ("controls removed", report.controls_deleted),
                             ("mapping rows created", report.rows_created),
                             ("mapping rows updated", report.rows_updated),
                             ("mapping rows removed", report.rows_deleted)):
            if value:
                parts.append(f"{value} {label}")
        parts.append(f"{report.controls_unchanged + report.rows_unchanged} unchanged")
        self.stdout.write("ISO 27001 mapping loaded: " + ", ".join(parts) + ".")
