"""The deadlines as an iCalendar file (RFC 5545): one all-day event per deadline, with a UID that stays the same
from one download to the next, so a calendar that imports the file again updates its events instead of doubling
them."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from .deadlines import Deadline

PRODID = "-//CMMC Ready//Deadlines//EN"


def _text(value: str) -> str:
    # RFC 5545 3.3.11: backslash, semicolon, comma and newline are escaped in TEXT values.
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n")
            .replace("\n", "\\n").replace("\r", "\\n"))


def _fold(line: str) -> str:
    """Lines of at most 75 octets, continued with CRLF and a space (RFC 5545 3.1), never splitting a character."""
    out, current = [], b""
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode("utf-8"))
            current = b""
        current += encoded
    out.append(current.decode("utf-8"))
    return "\r\n ".join(out)


def calendar(deadlines: Iterable[Deadline], *, public_id: str, name: str, host: str, stamp: datetime) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{_text(f'CMMC deadlines: {name}')}"]
    for deadline in deadlines:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{deadline.key}.{public_id}@{host}",
            f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}",
            f"DTSTART;VALUE=DATE:{deadline.due:%Y%m%d}",
            f"DTEND;VALUE=DATE:{deadline.due + timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{_text(f'{deadline.title} ({name})')}",
            f"DESCRIPTION:{_text(deadline.detail)}",
            f"CATEGORIES:{_text(deadline.kind)}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode("utf-8")
