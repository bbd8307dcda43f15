from django.apps import AppConfig
from django.core import checks


class GuidanceConfig(AppConfig):
    name = "guidance"
    verbose_name = "Guidance pages"

    def ready(self) -> None:
        checks.register(rules_file_check)


def rules_file_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """A bad rules file stops `manage.py check` (and the server's start-up checks) with the loader's message."""
    from .rules import RULES_FILE, RulesFileError, read_rules

    try:
        read_rules(RULES_FILE)
    except RulesFileError as exc:
        return [checks.Error(str(exc), hint="Correct fixtures/rules-dates.yaml.", id="guidance.E001")]
    return []
