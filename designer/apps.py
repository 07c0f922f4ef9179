from django.apps import AppConfig


class DesignerConfig(AppConfig):
    name = "designer"
    verbose_name = "Schema designer"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import pre_save

        from .models.storable import refuse_unstorable

        for model in self.get_models():
            pre_save.connect(refuse_unstorable, sender=model, dispatch_uid=f"storable-{model._meta.label}")
