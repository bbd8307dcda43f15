from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"

    def ready(self) -> None:
        from cmmc_site.body_limits import register_upload

        from .assessment_file import MAX_FILE_BYTES

        register_upload("assessments:import", MAX_FILE_BYTES)
