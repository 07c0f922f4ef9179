from django.apps import AppConfig


class DesignerConfig(AppConfig):
    name = "designer"
    verbose_name = "Schema designer"
    default_auto_field = "django.db.models.BigAutoField"
