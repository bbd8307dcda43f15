from django.apps import AppConfig


class SspConfig(AppConfig):
    name = "ssp"

    def ready(self) -> None:
        # The assessments app never imports this one: it learns of the plan through what is registered here (the
        # plan's part of the assessment file; the generated versions the SPRS worksheet and overview name).
        from assessments.assessment_file import register_section
        from assessments.plans import register_reader
        from cmmc_site.body_limits import register_upload

        from .file_section import SECTION
        from .images import MAX_UPLOAD_BYTES
        from .models import generated_versions

        register_section(SECTION)
        register_reader(generated_versions)
        register_upload("ssp:diagram_upload", MAX_UPLOAD_BYTES)
        # The environment page's Save uploads a diagram chosen on it (counted by the view, when there is one).
        register_upload("ssp:environment", MAX_UPLOAD_BYTES, counted_by_view=True)
