import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assessments import scoring
from assessments.assessment_file import AssessmentFileError, parse_document, read_document, score_summary
from assessments.records import catalog_rules


class Command(BaseCommand):
    help = (
        "Score an assessment JSON file (our export, or {\"requirements\": {\"3.1.1\": {\"status\": \"met\"}, ...}}) "
        "and print the SPRS score and CMMC status as JSON. See docs/assessment-json.md."
    )
    # Nothing here depends on the project's system checks, and their warnings would break "one line on stderr".
    requires_system_checks = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="the JSON file, or - for standard input")

    def handle(self, *args, file: str, **options) -> None:
        try:
            raw = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"{file}: cannot read the file ({exc.strerror or exc})") from None
        rules = catalog_rules()
        try:
            document = parse_document(read_document(raw), rules)
            result = scoring.score(rules, document.scoring_answers(), document.level)
        except (AssessmentFileError, scoring.InvalidAnswer) as exc:
            raise CommandError(f"{file}: {exc}") from None
        self.stdout.write(json.dumps(score_summary(result)))
