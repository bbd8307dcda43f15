"""Static security lint (check 14, the semgrep half): the project rules in .semgrep/ find nothing in our code, and
each rule really fires on a known-bad sample (so a broken rule cannot pass silently). Offline: local rules only,
no metrics, no version check."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
SEMGREP = Path(sys.executable).parent / "semgrep"
APPS = ["accounts", "orgs", "assessments", "cmmc_site", "controls", "ssp", "iso27001", "guidance", "timeline"]
FLAGS = ["--metrics=off", "--disable-version-check", "--no-git-ignore", "--config", str(BASE_DIR / ".semgrep")]

BAD_PYTHON = '''\
@csrf_exempt
def view(request, pk):
    a = Assessment.objects.get(public_id=pk)
    b = get_object_or_404(Assessment, public_id=pk)
    mark_safe(a.note)
    format_html(a.note)
    Answer.objects.raw("select 1")
    template.render(context, autoescape=False)


class AnswerForm(ModelForm):
    class Meta:
        fields = "__all__"
'''
BAD_TEMPLATE = '<p>{{ answer.note|safe }}</p>\n<script src="https://cdn.example.com/x.js"></script>\n'
BAD_JS = 'localStorage.setItem("draft", text);\n'


def run_semgrep(*targets: str, cwd: Path) -> subprocess.CompletedProcess:
    # Fails (not skips) when semgrep is missing: it is in the "dev" dependency group.
    assert SEMGREP.exists(), f"{SEMGREP} missing: .venv/bin/pip install semgrep"
    return subprocess.run([str(SEMGREP), *FLAGS, "--json", *targets], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def findings(result: subprocess.CompletedProcess) -> list[str]:
    return [f"{r['path']}:{r['start']['line']} {r['check_id'].rsplit('.', 1)[-1]}"
            for r in json.loads(result.stdout)["results"]]


@pytest.mark.slow
def test_semgrep_project_rules_find_nothing_in_our_code():
    result = run_semgrep(*APPS, "templates", "static/js", cwd=BASE_DIR)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["errors"] == []
    assert findings(result) == []


@pytest.mark.slow
def test_each_semgrep_rule_fires_on_a_known_bad_sample(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "views.py").write_text(BAD_PYTHON)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text(BAD_TEMPLATE)
    (tmp_path / "static" / "js").mkdir(parents=True)
    (tmp_path / "static" / "js" / "app.js").write_text(BAD_JS)
    found = findings(run_semgrep("app", "templates", "static/js", cwd=tmp_path))
    assert sorted(found) == sorted([
        "app/views.py:1 no-csrf-exempt",
        "app/views.py:3 no-direct-assessment-lookup",
        "app/views.py:4 no-direct-assessment-lookup",
        "app/views.py:5 no-mark-safe",
        "app/views.py:6 no-format-html-on-data",
        "app/views.py:7 no-raw-sql",
        "app/views.py:8 no-autoescape-false",
        "app/views.py:13 no-modelform-all-fields",
        "templates/page.html:1 no-safe-filter-in-templates",
        "templates/page.html:2 no-third-party-origin-in-templates",
        "static/js/app.js:1 no-web-storage",
    ])
