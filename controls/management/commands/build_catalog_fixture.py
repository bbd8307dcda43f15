from pathlib import Path

import yaml
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from controls.catalog import CatalogError, parse_catalog
from controls.fixture_builder import build_fixture

DEFAULT_SOURCE = settings.BASE_DIR.parent / "shared" / "reference" / "nist-800-171-r2.yaml"


class Command(BaseCommand):
    help = "Rebuild fixtures/catalog.yaml from the checked reference dataset (writes only that file)."

    def add_arguments(self, parser):
        parser.add_argument("source", nargs="?", default=str(DEFAULT_SOURCE))
        parser.add_argument("--output", default=str(settings.CATALOG_FIXTURE))

    def handle(self, *args, source: str, output: str, **options) -> None:
        try:
            reference = yaml.safe_load(Path(source).read_text(encoding="utf-8"))
        except OSError as exc:
            raise CommandError(f"cannot read {source}: {exc.strerror}") from exc
        fixture = build_fixture(reference)
        try:
            parse_catalog(fixture)
        except CatalogError as exc:
            raise CommandError(f"the reference does not make a valid catalog: {exc}") from exc
        text = yaml.safe_dump(fixture, sort_keys=False, allow_unicode=True, width=120)
        out = Path(output)
        if out.exists() and out.read_text(encoding="utf-8") == text:
            self.stdout.write(f"{out} is already up to date; nothing written.")
            return
        out.write_text(text, encoding="utf-8")
        self.stdout.write(f"Wrote {out}: {len(fixture['requirements'])} requirements.")
