from django.core.management.base import BaseCommand, CommandError

from controls.narratives import FIXTURE, NarrativesError, load_narratives, read_narratives


class Command(BaseCommand):
    help = ("Load the example narratives the SSP offers as starting text (after the catalog). Idempotent; validates "
            "everything before writing; keeps the texts staff edited in the admin.")

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(FIXTURE))
        parser.add_argument(
            "--overwrite-edits",
            action="store_true",
            help="replace narratives that staff edited in the admin with the fixture's text",
        )

    def handle(self, *args, path: str, overwrite_edits: bool, **options) -> None:
        try:
            narratives = read_narratives(path)
        except NarrativesError as exc:
            raise CommandError(f"{path}: {exc}. Nothing was written.") from exc
        report = load_narratives(narratives=narratives, overwrite=overwrite_edits)
        for name in report.conflicts:
            self.stderr.write(
                f"Conflict: the {name} narrative was edited in the admin and the fixture changed too; kept the admin "
                "text. Re-run with --overwrite-edits to take the fixture's text."
            )
        kept = f"; {len(report.kept)} edited in the admin, kept" if report.kept else ""
        if not report.changed:
            self.stdout.write(f"Example narratives already up to date ({report.unchanged} unchanged{kept}); "
                              "nothing written.")
            return
        self.stdout.write(f"Example narratives loaded: {len(report.created)} created, {len(report.updated)} updated, "
                          f"{report.unchanged} unchanged{kept}.")
