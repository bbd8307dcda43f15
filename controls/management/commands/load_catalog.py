from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from controls.catalog import CatalogError, load_catalog, read_catalog


class Command(BaseCommand):
    help = "Load the NIST SP 800-171 catalog fixture. Idempotent; validates everything before writing."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(settings.CATALOG_FIXTURE))
        parser.add_argument(
            "--overwrite-edits",
            action="store_true",
            help="replace text that staff edited in the admin with the fixture's text",
        )

    def handle(self, *args, path: str, overwrite_edits: bool, **options) -> None:
        try:
            catalog = read_catalog(path)
        except CatalogError as exc:
            raise CommandError(f"{path}: {exc}. Nothing was written.") from exc
        report = load_catalog(catalog=catalog, overwrite=overwrite_edits)
        for nist_id in report.conflicts:
            self.stderr.write(
                f"Conflict: {nist_id} was edited in the admin and the fixture changed too; kept the admin text. "
                "Re-run with --overwrite-edits to take the fixture's text."
            )
        if not report.changed:
            self.stdout.write(
                f"Catalog already up to date ({report.unchanged} requirements unchanged); nothing written."
            )
            return
        parts = []
        if report.families_created:
            parts.append(f"{report.families_created} families created")
        if report.created:
            parts.append(f"{len(report.created)} requirements created")
        if report.updated:
            parts.append(f"{len(report.updated)} updated ({', '.join(report.updated[:10])}"
                         f"{'…' if len(report.updated) > 10 else ''})")
        parts.append(f"{report.unchanged} unchanged")
        self.stdout.write("Catalog loaded: " + ", ".join(parts) + ".")
