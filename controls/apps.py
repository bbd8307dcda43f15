from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class ControlsConfig(AppConfig):
    name = "controls"
    verbose_name = "NIST SP 800-171 catalog"

    def ready(self) -> None:
        # Every write to the catalog gives it a new token, so each process reads it again (controls/snapshot.py).
        from .models import Family, Objective, Requirement
        from .snapshot import catalog_changed

        for model in (Family, Requirement, Objective):
            post_save.connect(catalog_changed, sender=model, dispatch_uid=f"catalog_changed_save_{model.__name__}")
            post_delete.connect(catalog_changed, sender=model, dispatch_uid=f"catalog_changed_delete_{model.__name__}")
