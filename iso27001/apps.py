from django.apps import AppConfig


class Iso27001Config(AppConfig):
    name = "iso27001"
    verbose_name = "ISO/IEC 27001 head start"

    def ready(self) -> None:
        # The assessments app never imports this one: it learns of the head start through what is registered here
        # (its part of the assessment file; how to delete it for good; its hints on the questionnaire's questions; its
        # part of the activity log).
        from assessments.activity import register_activity_source
        from assessments.assessment_file import register_section
        from assessments.hints import HintSource, register_hint_source
        from assessments.writes import register_deleter

        from .activity import head_start_entries
        from .file_section import SECTION
        from .hints import hints_for
        from .models import delete_head_starts_for_good

        register_section(SECTION)
        register_deleter(delete_head_starts_for_good)
        register_hint_source(HintSource(template="iso27001/_question_hints.html", read=hints_for))
        register_activity_source(head_start_entries)
