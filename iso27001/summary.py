"""What an ISO 27001 head start means for an assessment: which requirements it relates to, and what it never covers."""

from dataclasses import dataclass

from django.db.models import Count

from assessments.models import Assessment
from controls.models import Requirement
from controls.snapshot import current as current_catalog

from .hints import Hint, hints_for
from .models import HeadStart, IsoControl, IsoMapping

# Things CMMC asks for that an ISO/IEC 27001 ISMS does not give you on its own. Point values come from the
# catalog; only the reasons are ours.
SPECIAL_REQUIREMENTS = {
    "3.13.11": "ISO/IEC 27001 asks for a policy on cryptography and key management (2013: A.10.1, 2022: A.8.24), "
               "chosen through your own risk assessment. It never requires FIPS 140-validated modules; CMMC does, "
               "wherever cryptography protects the confidentiality of CUI.",
    "3.5.3": "ISO/IEC 27001 asks for secure log-on (2013: A.9.4.2, 2022: A.8.5) but leaves the method to your risk "
             "assessment. CMMC requires multifactor authentication for local and network access to privileged "
             "accounts and for network access to every other account.",
    "3.12.4": "An ISMS has a Statement of Applicability and its own documents, but not a System Security Plan: the "
              "CUI system boundary, its environment and how each of the 110 requirements is implemented. Without "
              "an SSP no SPRS score exists at all.",
}


@dataclass(frozen=True)
class RequirementLine:
    requirement: Requirement
    hints: list[Hint]


@dataclass(frozen=True)
class SpecialItem:
    key: str
    title: str
    requirement: Requirement | None
    in_scope: bool
    why: str
    hints: list[Hint]


@dataclass(frozen=True)
class Summary:
    edition: str
    in_scope: int
    related: list[RequirementLine]
    unrelated: list[Requirement]
    mapped_in_edition: int  # in-scope requirements the mapping relates to any control of this edition
    ticked: list[tuple[str, int]]  # (control id, requirements it relates to in the whole mapping)
    special: list[SpecialItem]

    @property
    def related_count(self) -> int:
        return len(self.related)

    @property
    def ticked_count(self) -> int:
        return len(self.ticked)

    @property
    def ticked_unmapped(self) -> list[str]:
        return [control_id for control_id, related in self.ticked if not related]

    @property
    def low_confidence_lines(self) -> int:
        return sum(1 for line in self.related if any(h.low_confidence for h in line.hints))


def summarize(assessment: Assessment, head: HeadStart) -> Summary:
    """4 queries: the catalog revision, hints, ticked controls, requirements mapped in the edition."""
    catalog = current_catalog()
    requirements = list(catalog.requirements)
    in_scope = [r for r in requirements if assessment.target_level == "l2" or r.level1_id]
    hints = hints_for(assessment, [r.nist_id for r in in_scope], catalog)
    ticked = list(
        IsoControl.objects.filter(head_starts=head).annotate(related=Count("mappings"))
        .order_by("position").values_list("control_id", "related")
    )
    mapped = set(
        IsoMapping.objects.filter(control__edition=head.edition).values_list("requirement__nist_id", flat=True)
    )
    by_id = {r.nist_id: r for r in requirements}
    scope_ids = {r.nist_id for r in in_scope}
    special = [
        SpecialItem(key=nist_id, title=by_id[nist_id].cmmc_title, requirement=by_id[nist_id],
                    in_scope=nist_id in scope_ids, why=why, hints=hints.get(nist_id, []))
        for nist_id, why in SPECIAL_REQUIREMENTS.items() if nist_id in by_id
    ]
    # Its reason cites DFARS clauses, so the template words it from the rules data file (iso27001/_sprs_why.html).
    special.append(SpecialItem(key="sprs", title="Posting your results in SPRS", requirement=None, in_scope=True,
                               why="", hints=[]))
    return Summary(
        edition=head.edition,
        in_scope=len(in_scope),
        related=[RequirementLine(r, hints[r.nist_id]) for r in in_scope if r.nist_id in hints],
        unrelated=[r for r in in_scope if r.nist_id not in hints],
        mapped_in_edition=len(scope_ids & mapped),
        ticked=ticked,
        special=special,
    )
