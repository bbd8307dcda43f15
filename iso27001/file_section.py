"""The ISO 27001 head start's part of the assessment file (version 2, key ``iso27001``): the edition and the Annex A
controls of the Statement of Applicability. Registered with ``assessments.assessment_file`` in ``ready()``."""

from dataclasses import dataclass

from assessments.assessment_file import AssessmentFileError, Section, expect_object, only_keys, show
from assessments.models import Assessment

from .models import Edition, HeadStart, IsoControl, save_head_start

KEY = "iso27001"


def export(assessment: Assessment) -> dict | None:
    head = HeadStart.objects.filter(assessment=assessment).first()
    if head is None:
        return None
    return {"edition": head.edition,
            "controls": list(head.controls.order_by("position").values_list("control_id", flat=True))}


@dataclass(frozen=True)
class ParsedHeadStart:
    edition: str
    controls: list[str]


def parse(raw: object) -> ParsedHeadStart:
    data = expect_object(raw, KEY)
    only_keys(data, ("edition", "controls"), KEY)
    edition, controls = data.get("edition"), data.get("controls", [])
    if edition not in Edition.values:
        raise AssessmentFileError(f"iso27001.edition: expected one of {', '.join(Edition.values)}, got {show(edition)}")
    if not isinstance(controls, list) or not all(isinstance(c, str) for c in controls):
        raise AssessmentFileError(f"iso27001.controls: expected a list of control ids, got {show(controls)}")
    known = set(IsoControl.objects.filter(edition=edition, control_id__in=controls).values_list("control_id",
                                                                                                 flat=True))
    unknown = [c for c in controls if c not in known]
    if unknown:
        raise AssessmentFileError(f"iso27001.controls: {show(unknown[0])} is not an ISO/IEC 27001:{edition} control")
    return ParsedHeadStart(edition=edition, controls=list(dict.fromkeys(controls)))


def write(*, assessment: Assessment, value: ParsedHeadStart) -> None:
    save_head_start(assessment=assessment, edition=value.edition, control_ids=value.controls)


SECTION = Section(key=KEY, export=export, parse=parse, write=write)
