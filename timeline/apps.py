from django.apps import AppConfig


class TimelineConfig(AppConfig):
    name = "timeline"
    verbose_name = "Over time: snapshots, submissions, affirmations and deadlines"

    def ready(self) -> None:
        # A final SSP version freezes the assessment it documents. The plan sends a signal (ssp/signals.py) rather
        # than calling this app, so the plan never learns that snapshots exist.
        from assessments.panels import register_panel
        from ssp.signals import final_version_recorded

        from .panels import upcoming_deadlines
        from .snapshots import snapshot_final_ssp_version

        final_version_recorded.connect(snapshot_final_ssp_version, dispatch_uid="timeline-final-ssp-version")
        # The org pages list the next deadlines through a registry (assessments/panels.py): they never import us.
        register_panel("deadlines", upcoming_deadlines)
