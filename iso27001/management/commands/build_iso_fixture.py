from pathlib import Path

import yaml
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from iso27001.fixture_builder import FixtureBuildError, build_fixture
from iso27001.mapping import FIXTURE, MappingError, parse_mapping

DEFAULT_SOURCE = settings.BASE_DIR.parent / "shared" / "reference" / "iso27001-mapping.yaml"


class Command(BaseCommand):
    help = "Rebuild fixtures/iso27001-mapping.yaml from the checked reference mapping (writes only that file)."

    def add_arguments(self, parser):
        parser.add_argument("source", nargs="?", default=str(DEFAULT_SOURCE))
        parser.add_argument("--output", default=str(FIXTURE))

    def handle(self, *args, source: str, output: str, **options) -> None:
        try:
            reference = yaml.safe_load(Path(source).read_text(encoding="utf-8"))
        except OSError as exc:
            raise CommandError(f"cannot read {source}: {exc.strerror}") from exc
        try:
            fixture = build_fixture(reference)
            # The reference's own requirement list: this command needs no database.
            parse_mapping(fixture, [row["id"] for row in reference["mapping"]])
        except (FixtureBuildError, MappingError) as exc:
            raise CommandError(f"the reference does not make a valid mapping: {exc}") from exc
        text = yaml.safe_dump(fixture, sort_keys=False, allow_unicode=True, width=120)
        out = Path(output)
        if out.exists() and out.read_text(encoding="utf-8") == text:
            self.stdout.write(f"{out} is already up to date; nothing written.")
            return
        out.write_text(text, encoding="utf-8")
        rows = sum(len(r["iso27001_2013"]) + len(r["iso27001_2022"]) for r in fixture["mapping"])
        self.stdout.write(f"Wrote {out}: {len(fixture['mapping'])} requirements, {rows} mapping rows.")
