from django.apps import AppConfig


class SspConfig(AppConfig):
    name = "ssp"
