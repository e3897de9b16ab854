from django.apps import AppConfig


class OcrConfig(AppConfig):
    name = "web.ocr"
    label = "ocr"
    verbose_name = "Handwriting recognition"
