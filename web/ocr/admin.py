"""Admin: browse posted images with a thumbnail, the reading and the correction."""

from __future__ import annotations

import json

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from .models import PostedImage


@admin.register(PostedImage)
class PostedImageAdmin(admin.ModelAdmin):
    list_display = ["id", "thumbnail", "timestamp", "status", "latex", "corrected_latex", "ms"]
    list_filter = ["status", "model_version", "timestamp"]
    search_fields = ["latex", "corrected_latex", "reason"]
    date_hierarchy = "timestamp"
    readonly_fields = [
        "preview",
        "image",
        "timestamp",
        "status",
        "reason",
        "format",
        "width",
        "height",
        "size_bytes",
        "latex",
        "model_version",
        "ms",
        "pretty_result",
        "session_key",
        "user",
        "corrected_at",
        "corrected_by",
    ]
    exclude = ["result", "timings"]

    def _url(self, obj: PostedImage) -> str:
        return reverse("ocr:image-file", args=[obj.pk])

    @admin.display(description="image")
    def thumbnail(self, obj: PostedImage) -> str:
        return format_html(
            '<img src="{}" alt="image {}" style="max-height:48px;max-width:160px;'
            'background:#fff;border:1px solid #ccc">',
            self._url(obj),
            obj.pk,
        )

    @admin.display(description="preview")
    def preview(self, obj: PostedImage) -> str:
        return format_html(
            '<img src="{}" alt="image {}" style="max-width:100%;max-height:400px;'
            'background:#fff;border:1px solid #ccc">',
            self._url(obj),
            obj.pk,
        )

    @admin.display(description="result")
    def pretty_result(self, obj: PostedImage) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.result, indent=2))
