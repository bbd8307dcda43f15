from django.apps import AppConfig


class SspConfig(AppConfig):
    name = "ssp"

    def ready(self) -> None:
        # The assessments app never imports this one: it learns of the plan through what is registered here (the
        # plan's part of the assessment file; the generated versions the SPRS worksheet and overview name; how to
        # delete a plan for good with its assessment; the plan's part of the activity log).
        from assessments.activity import register_activity_source
        from assessments.assessment_file import register_section
        from assessments.plans import register_reader
        from assessments.writes import register_deleter
        from cmmc_site.body_limits import register_upload
        from cmmc_site.render_guard import register_preload

        from .activity import plan_entries
        from .file_section import SECTION
        from .images import MAX_UPLOAD_BYTES
        from .models import delete_plans_for_good, generated_versions

        register_section(SECTION)
        register_reader(generated_versions)
        register_deleter(delete_plans_for_good)
        register_activity_source(plan_entries)
        register_upload("ssp:diagram_upload", MAX_UPLOAD_BYTES)
        # The environment page's Save uploads a diagram chosen on it (counted by the view, when there is one).
        register_upload("ssp:environment", MAX_UPLOAD_BYTES, counted_by_view=True)
        # Render processes start with the PDF's font coverage read (0.4 s a render otherwise, for other scripts).
        register_preload("ssp.render_preload")
