"""No file of ours (tests and migrations aside) is over 500 lines: a longer one is doing two jobs; split it."""

from .code_helpers import BASE_DIR, our_modules

MAX_LINES = 500


def test_no_module_of_ours_is_over_500_lines():
    modules = our_modules()
    assert {"assessments.models", "assessments.views", "ssp.document", "bench.load", "manage"} <= set(modules)
    lengths = {str(path.relative_to(BASE_DIR)): len(path.read_text().splitlines()) for path in modules.values()}
    assert {path: lines for path, lines in lengths.items() if lines > MAX_LINES} == {}
