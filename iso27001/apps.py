from django.apps import AppConfig


class Iso27001Config(AppConfig):
    name = "iso27001"
    verbose_name = "ISO/IEC 27001 head start"

    def ready(self) -> None:
        from assessments.assessment_file import register_section

        from .file_section import SECTION

        register_section(SECTION)
