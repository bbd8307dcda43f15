"""URL converters shared by every app; registered once, at import of the root URLconf."""

from django.urls import register_converter


class _Str:
    regex = ""

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class NistId(_Str):
    regex = r"3\.\d{1,2}\.\d{1,2}"


class ObjectiveId(_Str):
    regex = r"3\.\d{1,2}\.\d{1,2}\[[a-z]\]"


class PublicId(_Str):
    regex = r"[A-Za-z0-9_-]{16,32}"


class FamilyCode(_Str):
    regex = r"[A-Z]{2}"


register_converter(NistId, "nist")
register_converter(ObjectiveId, "objective")
register_converter(PublicId, "public_id")
register_converter(FamilyCode, "family")
