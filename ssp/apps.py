from django.apps import AppConfig


class SspConfig(AppConfig):
    name = "ssp"

    def ready(self) -> None:
        from assessments.assessment_file import register_section

        from .file_section import SECTION

        register_section(SECTION)
