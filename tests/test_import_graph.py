"""The import graph of our code (not the tests, not the migrations), read with ``ast``: which part imports which.

The parts are the boxes of the house (docs: the structure picture): each app, with two apps cut in two where the
picture cuts them. ``orgs`` is the organisations and roles (models, access, forms) that ``assessments`` stands on,
and the organisation pages (``orgs/views.py``, ``orgs/urls.py``: dashboard, members, claim, activity) that stand on
``assessments``. ``cmmc_site`` is the site layer (settings, rate limits, render guard, logs) under every app, and
its URLconf (``cmmc_site/urls.py``) on top of them all. ``bench`` and ``audit`` are tools, outside the product.

Three rules: a part imports only the parts ALLOWED says (the picture's arrows: lower parts never import higher
ones), no module imports another app's views (the URLconf excepted: naming the views is its job), and no cycle.
"""

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from .code_helpers import our_modules

# Lower first. A part may import only parts of a lower layer, and only along an arrow of ALLOWED.
LAYERS = {
    "site": 0,
    "controls": 1, "accounts": 1,
    "orgs": 2,
    "assessments": 3,
    "ssp": 4, "iso27001": 4, "guidance": 4,
    "timeline": 5, "orgpages": 5,
    "urls": 6, "tools": 6,
}
ALLOWED = {
    # The floor and what it stands on.
    ("accounts", "site"),
    ("orgs", "accounts"),
    ("assessments", "controls"), ("assessments", "orgs"), ("assessments", "accounts"), ("assessments", "site"),
    # The apps on the floor. Each may use the site layer (the render guard, upload limits, rate limits, links).
    ("ssp", "assessments"), ("ssp", "controls"), ("ssp", "site"),
    ("iso27001", "assessments"), ("iso27001", "controls"),
    ("guidance", "assessments"), ("guidance", "controls"),
    ("timeline", "assessments"), ("timeline", "controls"), ("timeline", "accounts"),
    # The timeline hears of a final SSP version through the plan's signal (ssp/signals.py): it imports the signal,
    # the plan never imports the timeline.
    ("timeline", "ssp"),
    # Reminders go to the organisation's owners and editors (its memberships), with links built from SITE_URL.
    ("timeline", "orgs"), ("timeline", "site"),
    # The organisation pages: dashboard, members, claim, the activity log.
    ("orgpages", "assessments"), ("orgpages", "orgs"), ("orgpages", "accounts"), ("orgpages", "site"),
    # The URLconf names the views.
    ("urls", "assessments"), ("urls", "site"),
    # The benchmarks and the audit drive the product from outside.
    ("tools", "assessments"), ("tools", "controls"), ("tools", "orgs"), ("tools", "ssp"), ("tools", "site"),
    ("tools", "timeline"),
}


def part_of(module: str) -> str:
    """The box of the picture a module belongs to."""
    top, _, rest = module.partition(".")
    if top == "cmmc_site":
        return "urls" if rest == "urls" else "site"
    if top == "orgs" and rest.split(".")[0] in ("views", "urls"):
        return "orgpages"
    if top in ("bench", "audit"):
        return "tools"
    return top


def is_views(module: str) -> bool:
    return module.rsplit(".", 1)[-1].endswith("views")


def imported(module: str, path: Path) -> Iterator[str]:
    """The modules of ours ``module`` imports (wherever in the file: function-level imports count too)."""
    modules = our_modules()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                prefix = ".".join([*base, *([node.module] if node.module else [])])
            else:
                prefix = node.module or ""
            # "from x import y": y is a module of x, or a name in x (then it resolves to x itself).
            candidates = [f"{prefix}.{alias.name}" for alias in node.names]
        else:
            continue
        resolved = set()
        for candidate in candidates:
            parts = candidate.split(".")
            while parts and ".".join(parts) not in modules:
                parts.pop()
            if parts:
                resolved.add(".".join(parts))
        yield from sorted(resolved)


@cache
def edges() -> dict[tuple[str, str], list[str]]:
    """(importing part, imported part) -> the imports behind that arrow, as "module -> module"."""
    found: dict[tuple[str, str], list[str]] = {}
    for module, path in our_modules().items():
        for target in imported(module, path):
            arrow = (part_of(module), part_of(target))
            if arrow[0] != arrow[1]:
                found.setdefault(arrow, []).append(f"{module} -> {target}")
    return found


def test_the_graph_sees_the_imports_it_checks():
    modules = our_modules()
    assert {"assessments.models", "ssp.blocks", "cmmc_site.ratelimit", "orgs.views"} <= set(modules)
    assert not [m for m in modules if ".migrations" in m or m.startswith("tests")]
    found = edges()
    # Absolute, relative and function-level imports are all read.
    assert "ssp.apps -> assessments.writes" in found[("ssp", "assessments")]
    assert "orgs.urls -> orgs.views" not in sum(found.values(), [])  # the same part: not an arrow
    assert "orgs.views -> assessments.activity" in found[("orgpages", "assessments")]
    assert {"iso27001.apps -> assessments.activity", "iso27001.apps -> assessments.hints"} <= set(
        found[("iso27001", "assessments")])
    assert "cmmc_site.urls -> assessments.views" in found[("urls", "assessments")]


def test_every_part_has_its_place_in_the_layers():
    parts = {part_of(module) for module in our_modules()} - {"manage"}
    assert parts <= set(LAYERS), f"place these in LAYERS (and their arrows in ALLOWED): {parts - set(LAYERS)}"


def test_every_allowed_arrow_points_down():
    upward = [(a, b) for a, b in ALLOWED if LAYERS[a] <= LAYERS[b]]
    assert upward == []


def test_each_part_imports_only_what_the_picture_allows():
    """A lower part importing a higher one (assessments reaching into the SSP, the site layer into accounts, ...)
    is an arrow ALLOWED does not have."""
    unexpected = {arrow: imports for arrow, imports in edges().items() if arrow not in ALLOWED}
    assert unexpected == {}


def test_no_module_imports_another_apps_views():
    offending = [
        f"{module} -> {target}"
        for module, path in our_modules().items() if module != "cmmc_site.urls"
        for target in imported(module, path)
        if is_views(target) and target.split(".")[0] != module.split(".")[0]
    ]
    assert offending == []


def test_there_is_no_cycle_between_the_parts():
    graph: dict[str, set[str]] = {}
    for a, b in edges():
        graph.setdefault(a, set()).add(b)
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in path:
                cycles.append(path[path.index(nxt):] + [nxt])
            elif len(path) <= len(LAYERS):
                visit(nxt, [*path, nxt])

    for start in sorted(graph):
        visit(start, [start])
    assert cycles == []


@pytest.mark.parametrize("arrow", [("assessments", "ssp"), ("assessments", "iso27001"), ("site", "accounts"),
                                   ("orgs", "assessments"), ("controls", "assessments")])
def test_the_arrows_the_structure_issue_removed_stay_out(arrow):
    assert arrow not in ALLOWED and arrow not in edges()
