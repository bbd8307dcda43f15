from django.apps import AppConfig


class Iso27001Config(AppConfig):
    name = "iso27001"
    verbose_name = "ISO/IEC 27001 head start"
