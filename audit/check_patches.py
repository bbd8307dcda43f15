"""Check 27: are the security-relevant dependencies on the latest patch of their series?

For each package below that is installed in this environment, asks the package index (``pip index versions``,
pip's default index, with no local mirror or wheel folder from pip's configuration: those could hide a newer
release) which releases exist, and fails when a newer final release exists in the installed version's series.
Prints a table. Exit status: 0 all current, 1 a newer patch exists, 2 the index could not be asked or read (never
a silent pass: an offline machine fails here).

    .venv/bin/python audit/check_patches.py [--index-url URL]
"""

import argparse
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata

from packaging.version import InvalidVersion, Version

# Package -> how many leading release numbers name its series. WeasyPrint numbers its releases MAJOR.FIX
# (66.0, then 66.1 fixes it), so its series is the major number; the others use MAJOR.MINOR.PATCH.
PACKAGES: dict[str, int] = {
    "Django": 2,
    "WeasyPrint": 1,
    "django-allauth": 2,
    "lxml": 2,
    "Pillow": 2,
    "cryptography": 2,
    "psycopg": 2,
    "psycopg-binary": 2,  # what psycopg[binary] runs: it bundles libpq and OpenSSL
}
OK, OUTDATED, UNREACHABLE = 0, 1, 2


class IndexUnavailable(Exception):
    """The index could not be asked, or its answer could not be read."""


def parse_index_versions(output: str) -> list[str]:
    """The versions listed by ``pip index versions NAME`` (its "Available versions: a, b, ..." line)."""
    for line in output.splitlines():
        if line.startswith("Available versions:"):
            versions = [v.strip() for v in line.removeprefix("Available versions:").split(",") if v.strip()]
            if versions:
                return versions
    raise IndexUnavailable("pip printed no 'Available versions:' line")


def _series(version: Version, depth: int) -> tuple[int, ...]:
    release = version.release + (0,) * depth  # "6.1" is 6.1.0
    return release[:depth]


def newer_in_series(installed: str, available: Iterable[str], depth: int = 2) -> list[str]:
    """Final releases newer than ``installed`` in its series (the first ``depth`` release numbers), newest first.

    Pre-releases and development releases never count; versions that do not parse are skipped.
    """
    current = Version(installed)
    newer = []
    for text in available:
        try:
            candidate = Version(text)
        except InvalidVersion:
            continue
        if candidate.is_prerelease or candidate.is_devrelease:
            continue
        if _series(candidate, depth) == _series(current, depth) and candidate > current:
            newer.append(candidate)
    return [str(v) for v in sorted(newer, reverse=True)]


def newest(available: Iterable[str]) -> str:
    """The newest final release listed."""
    finals = []
    for text in available:
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        if not (version.is_prerelease or version.is_devrelease):
            finals.append(version)
    if not finals:
        raise IndexUnavailable("no final release listed")
    return str(max(finals))


@dataclass(frozen=True)
class Row:
    package: str
    installed: str
    latest_patch: str
    latest: str
    verdict: str


def check(package: str, installed: str, available: list[str], depth: int) -> Row:
    newer = newer_in_series(installed, available, depth)
    latest = newest(available)
    if newer:
        verdict = f"OUTDATED: {newer[0]} is out"
    elif Version(latest) > Version(installed):
        verdict = f"ok (newer series {latest} exists; not a patch)"
    else:
        verdict = "ok"
    return Row(package, installed, newer[0] if newer else installed, latest, verdict)


def format_table(rows: list[Row]) -> str:
    header = ("package", "installed", "latest patch", "latest release", "verdict")
    lines = [header] + [(r.package, r.installed, r.latest_patch, r.latest, r.verdict) for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
                     for line in lines)


def ask_index(package: str, index_url: str | None) -> list[str]:
    # --isolated: pip's default index only, ignoring the configured extra indexes and wheel folders.
    command = [sys.executable, "-m", "pip", "--isolated", "--disable-pip-version-check", "index", "versions",
               package, "--retries", "1", "--timeout", "15"]
    if index_url:
        command += ["--index-url", index_url]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        raise IndexUnavailable("pip did not answer within 120 s") from None
    if result.returncode != 0:
        last = [line for line in result.stderr.splitlines() if line.strip()][-2:]
        raise IndexUnavailable(f"pip exited {result.returncode}: {' / '.join(last) or 'no message'}")
    return parse_index_versions(result.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-url", help="ask this index instead of pip's default one (e.g. a mirror)")
    args = parser.parse_args(argv)
    rows: list[Row] = []
    failures: list[str] = []
    for package, depth in PACKAGES.items():
        try:
            installed = metadata.version(package)
        except metadata.PackageNotFoundError:
            rows.append(Row(package, "-", "-", "-", "not installed (skipped)"))
            continue
        try:
            rows.append(check(package, installed, ask_index(package, args.index_url), depth))
        except IndexUnavailable as exc:
            rows.append(Row(package, installed, "?", "?", "INDEX UNREACHABLE"))
            failures.append(f"{package}: {exc}")
    print(format_table(rows))
    if failures:
        print("\nThe package index could not be asked, so nothing is known about newer patches:", file=sys.stderr)
        for failure in failures:
            print(f"  {failure}", file=sys.stderr)
        return UNREACHABLE
    outdated = [r for r in rows if r.verdict.startswith("OUTDATED")]
    if outdated:
        print(f"\n{len(outdated)} package(s) have a newer patch release: upgrade them.")
        return OUTDATED
    print("\nEvery checked package is on the latest patch of its series.")
    return OK


if __name__ == "__main__":
    sys.exit(main())
