from django.http import HttpRequest

from .rules import Rulebook
from .rules import rulebook as load_rulebook


def rulebook(request: HttpRequest) -> dict[str, Rulebook]:
    # Every page's template can cite a rule or give its date from the one data file ({{ rulebook.phase_2.date }}).
    return {"rulebook": load_rulebook()}
