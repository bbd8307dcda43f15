from django.apps import AppConfig


class SspConfig(AppConfig):
    name = "ssp"

    def ready(self) -> None:
        # The assessment pages (SPRS worksheet, overview) learn of generated versions through this reader: the
        # assessments app never imports this one.
        from assessments.plans import register_reader

        from .models import generated_versions

        register_reader(generated_versions)
