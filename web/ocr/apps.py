from django.apps import AppConfig


class OcrConfig(AppConfig):
    name = "web.ocr"
    label = "ocr"
    verbose_name = "Handwriting recognition"

    def ready(self) -> None:
        # Connects the failed-login counter to Django's user_login_failed signal.
        from . import backends  # noqa: F401
