"""Our code as files (not a test module): every module of the product and its tools, for the structure tests."""

from functools import cache
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# Never ours, or not product code: the virtualenvs, front-end packages, the tests, build and report output.
NOT_CODE = {".venv", ".venv-audit", "node_modules", "tests", "staticfiles", "media", "build", "audit-report"}


@cache
def our_modules() -> dict[str, Path]:
    """Every module of ours by dotted name (packages by their own name), migrations excluded."""
    found = {}
    for folder in sorted(p for p in BASE_DIR.iterdir() if p.is_dir()):
        if folder.name in NOT_CODE or folder.name.startswith((".", "_")):
            continue
        for path in sorted(folder.rglob("*.py")):
            relative = path.relative_to(BASE_DIR)
            if "migrations" in relative.parts or "__pycache__" in relative.parts:
                continue
            name = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
            found[name] = path
    found.update({path.stem: path for path in sorted(BASE_DIR.glob("*.py"))})  # manage.py
    return found
