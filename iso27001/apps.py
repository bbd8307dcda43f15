from django.apps import AppConfig


class Iso27001Config(AppConfig):
    name = "iso27001"
    verbose_name = "ISO/IEC 27001 head start"

    def ready(self) -> None:
        # The assessments app never imports this one: it learns of the head start through what is registered here.
        from assessments.assessment_file import register_section
        from assessments.models import register_deleter

        from .file_section import SECTION
        from .models import delete_head_starts_for_good

        register_section(SECTION)
        register_deleter(delete_head_starts_for_good)
