"""Hostile zip archives for the upload tests (check 21), and a guard that fails the test if anything decompresses."""

import io
import zipfile
import zlib

import pytest


def many_entries(count: int = 10_000) -> bytes:
    """A small zip with ``count`` empty entries (an entry-count bomb)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for index in range(count):
            archive.writestr(f"{index}.json", b"")
    return buffer.getvalue()


def high_ratio(megabytes: int = 10) -> bytes:
    """A zip whose one entry inflates to ``megabytes`` MB of zeros: about 1000 times its own size."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("assessment.json", b"\0" * (megabytes * 1024 * 1024))
    return buffer.getvalue()


def entries_and_ratio(raw: bytes) -> tuple[int, float]:
    """What the archive claims (its central directory only; nothing is extracted)."""
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        infos = archive.infolist()
    return len(infos), sum(i.file_size for i in infos) / len(raw)


def forbid_decompression(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on, opening a zip or inflating anything fails the test (as a 500, or as this error)."""
    def refuse(*args, **kwargs):
        raise AssertionError("an upload was opened as an archive or decompressed")

    monkeypatch.setattr(zipfile, "ZipFile", refuse)
    monkeypatch.setattr(zlib, "decompress", refuse)
    monkeypatch.setattr(zlib, "decompressobj", refuse)
