"""What the API accepts and what it answers, in one place (and in the OpenAPI schema)."""

from __future__ import annotations

import base64
from typing import Any

import cv2
import numpy as np
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import RegexValidator
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from mathocr.result import DebugImages

from .decoding import CheckedImage, check_image, decode_base64, read_upload
from .models import PostedImage

__all__ = [
    "ImageField",
    "ImageCreateInput",
    "ImageCreateJsonInput",
    "DebugQuery",
    "FLAG_SPELLINGS",
    "CorrectionInput",
    "ImageOutput",
    "LineOutput",
    "ErrorOutput",
    "steps_as_data_urls",
]


# minLength: an empty string is refused ("empty"), so the schema must not allow it.
@extend_schema_field({"type": "string", "format": "binary", "minLength": 1})
class ImageField(serializers.Field):
    """An image as base64, a ``data:image/...;base64,`` URL, or a multipart file.

    Returns a :class:`~web.ocr.decoding.CheckedImage`; a post that is not a
    usable image raises :class:`~web.ocr.decoding.ImageInputError`, which the
    API turns into a 400 or 413 with a clear message.
    """

    default_error_messages = {
        "type": "send the image as a base64 string, a data URL, or a multipart file",
    }

    def to_internal_value(self, data: Any) -> CheckedImage:
        max_bytes = settings.MATHOCR_MAX_IMAGE_BYTES
        if isinstance(data, UploadedFile):
            content = read_upload(data, max_bytes=max_bytes)
        elif isinstance(data, str):
            content = decode_base64(data, max_bytes=max_bytes)
        else:
            self.fail("type")
        return check_image(
            content,
            max_bytes=max_bytes,
            max_pixels=settings.MATHOCR_MAX_IMAGE_PIXELS,
            max_side=settings.MATHOCR_MAX_IMAGE_SIDE,
            max_aspect_ratio=settings.MATHOCR_MAX_ASPECT_RATIO,
        )

    def to_representation(self, value: Any) -> Any:  # write-only
        raise NotImplementedError


FLAG_SPELLINGS: dict[str, bool] = {"true": True, "false": False, "1": True, "0": False}
"""How a yes/no is written as text (a form field, ``?debug=``): these four, nothing else."""


# What the schema says is what is taken: a form field or a query string has no booleans,
# so the spellings are listed, exactly (schemathesis reads this as the only valid values).
@extend_schema_field({"type": "string", "enum": list(FLAG_SPELLINGS), "default": "false"})
class TextFlagField(serializers.Field):
    """A yes/no sent as text, in one of :data:`FLAG_SPELLINGS`; any other text is a 400.

    DRF's ``BooleanField`` also reads ``yes``, ``on``, ``t``, ``N``... and
    takes an empty field for the default, so a multipart ``debug`` that was
    no boolean (or a typo such as ``ture``) was quietly read as one; the
    schema allowed none of those. Present is present: an empty value is
    refused like any other unknown spelling, not taken as absent.
    """

    default_error_messages = {
        "invalid": "must be one of " + ", ".join(FLAG_SPELLINGS) + " (not {input!r})",
    }

    def get_value(self, dictionary: Any) -> Any:
        # DRF takes a form's empty field for an absent one; here it is an unknown spelling.
        return dictionary.get(self.field_name, empty)

    def to_internal_value(self, data: Any) -> bool:
        if not (isinstance(data, str) and data in FLAG_SPELLINGS):
            self.fail("invalid", input=data if isinstance(data, str) else type(data).__name__)
        return FLAG_SPELLINGS[data]

    def to_representation(self, value: bool) -> str:
        return "true" if value else "false"


class JsonFlagField(serializers.BooleanField):
    """A JSON ``true`` or ``false``, nothing else (DRF's also reads ``1``, ``"yes"``, ``"on"``...).

    Like :class:`StringField` for strings: the schema says boolean, so a
    number or a string is refused, not coerced.
    """

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


DEBUG_HELP = (
    "Also answer the preprocessing stages as PNG data URLs (`steps`); the same as `?debug=1`."
)


class ImageCreateInput(serializers.Serializer):
    """A multipart (or url-encoded) post: its fields are text."""

    image = ImageField(
        help_text="Base64, a data:image/...;base64, URL (JSON), or a file (multipart)."
    )
    debug = TextFlagField(
        default=False, help_text=DEBUG_HELP + " Written `true`, `false`, `1` or `0`."
    )


class DebugQuery(serializers.Serializer):
    """``?debug=``, checked like the form field (the page sends ``?debug=1``)."""

    debug = TextFlagField(default=False)


# What "blank" means, spelled out: JSON Schema's \s (ECMAScript's) and Python's differ
# (Python also counts \x1c-\x1f), and the schema must refuse exactly what we refuse.
LATEX_SPACE = " \t\n\r\f\v"


# In a JSON body the image is text. Documented as binary, schema tools read it as
# bytes and ignore its minLength: schemathesis sent {"image": ""} as valid data.
@extend_schema_field({"type": "string", "minLength": 1})
class EncodedImageField(ImageField):
    """:class:`ImageField` as the JSON body's schema describes it: a non-empty string."""


class ImageCreateJsonInput(serializers.Serializer):
    """A JSON post: the image as text, ``debug`` a JSON boolean."""

    image = EncodedImageField(help_text="Base64, or a data:image/...;base64, URL.")
    debug = JsonFlagField(default=False, help_text=DEBUG_HELP)


class StringField(serializers.CharField):
    """A ``CharField`` that takes strings only.

    DRF's turns a number into its digits (``{"latex": 0}`` stored "0"); the
    schema says string, and schemathesis caught the difference.
    """

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class CorrectionInput(serializers.Serializer):
    latex = StringField(
        min_length=1,
        max_length=1000,
        # Checked as sent, so that the schema's maxLength and pattern mean what they
        # say (a trimmed field let 1,001 characters through a 1,000 limit); the
        # service stores it trimmed.
        trim_whitespace=False,
        validators=[
            RegexValidator(f"[^{LATEX_SPACE}]", message="the correction is blank", code="blank")
        ],
        help_text="The expression as it really reads (at least one character that is not a space).",
    )

    def validate_latex(self, value: str) -> str:
        return value.strip(LATEX_SPACE)


class SymbolOutput(serializers.Serializer):
    label = serializers.CharField()
    confidence = serializers.FloatField()
    alternatives = serializers.ListField(
        child=serializers.ListField(), help_text="[label, probability] runners-up, best first."
    )
    box = serializers.ListField(
        child=serializers.IntegerField(), help_text="x, y, width, height in image pixels."
    )
    components = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text="Empty: ids of ink components, given by readings stored before the detector.",
    )


class LineOutput(serializers.Serializer):
    """One line of a page of working (``mathocr.result.RecognizedLine``)."""

    latex = serializers.CharField()
    text = serializers.CharField()
    value = serializers.CharField(
        allow_null=True, help_text="The line's exact value, both sides, or its solutions."
    )
    decimal = serializers.CharField(allow_null=True)
    holds = serializers.BooleanField(
        allow_null=True,
        help_text="Whether the line is true: a numeric equation or comparison, or for a "
        "line that continues the one above (`= 27`) every link of the chain.",
    )
    solutions = serializers.ListField(child=serializers.CharField())
    solution_latex = serializers.CharField(allow_null=True)
    kind = serializers.CharField()
    error = serializers.CharField(allow_null=True, help_text="Why the line has no value.")
    symbols = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Indices of the line's symbols in the result's `symbols`, left to right.",
    )
    step = serializers.ChoiceField(
        choices=["start", "ok", "wrong", "unreadable"],
        help_text="`start`: the first line, or one that starts anew; `ok`: it follows from "
        "the last line that did; `wrong`; `unreadable`: it could not be read or checked.",
    )
    continues = serializers.BooleanField(
        help_text="The line starts with `=` (or a comparison) and continues the line above."
    )
    expected = serializers.CharField(
        allow_null=True,
        required=False,
        help_text="For a wrong line, what it should have said (like `value`): the last right "
        "line's value, solutions or simplified expression, or a false `=` chain's first side.",
    )


class ResultOutput(serializers.Serializer):
    latex = serializers.CharField()
    text = serializers.CharField()
    value = serializers.CharField(allow_null=True)
    decimal = serializers.CharField(allow_null=True, required=False)
    holds = serializers.BooleanField(allow_null=True, required=False)
    solutions = serializers.ListField(child=serializers.CharField(), required=False)
    kind = serializers.CharField(required=False)
    error = serializers.CharField(allow_null=True, help_text="Why the expression has no value.")
    symbols = SymbolOutput(many=True)
    model_version = serializers.CharField()
    image_size = serializers.ListField(child=serializers.IntegerField(), required=False)
    timings = serializers.DictField(child=serializers.FloatField(), required=False)
    ms = serializers.FloatField(help_text="Recognition time in the server process.")
    solution_latex = serializers.CharField(
        allow_null=True,
        required=False,
        help_text="An inequality's solution set as LaTeX (the last line's, for several).",
    )
    lines = LineOutput(
        many=True,
        required=False,
        help_text="The lines of working, top first, each read and checked against the lines "
        "above; one line for a single expression (readings stored before lines were read "
        "have none). The fields above describe the whole page.",
    )
    first_wrong = serializers.IntegerField(
        allow_null=True,
        required=False,
        help_text="Index in `lines` of the first line that does not follow, else null.",
    )


class ErrorOutput(serializers.Serializer):
    """Every error the API answers, 4xx or 5xx, has this shape."""

    error = serializers.CharField(help_text="What went wrong, for people.")
    code = serializers.CharField(
        help_text="What went wrong, for programs: e.g. not_an_image, too_large, throttled."
    )
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Validation errors only: the messages per input field.",
    )


class CorrectionOutput(serializers.Serializer):
    latex = serializers.CharField(source="corrected_latex")
    timestamp = serializers.DateTimeField(source="corrected_at")


class StepsOutput(serializers.Serializer):
    gray = serializers.CharField(required=False)
    binary = serializers.CharField()
    thinned = serializers.CharField()
    boxes = serializers.CharField()


class ImageOutput(serializers.ModelSerializer):
    image = serializers.SerializerMethodField(help_text="URL of the stored image.")
    result = ResultOutput(allow_null=True, help_text="The reading (null unless status is done).")
    reason = serializers.SerializerMethodField(help_text="Why recognition failed, else null.")
    correction = serializers.SerializerMethodField()

    class Meta:
        model = PostedImage
        fields = ["id", "image", "timestamp", "status", "reason", "result", "correction"]

    def get_image(self, obj: PostedImage) -> str:
        url = reverse("ocr:image-file", args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url

    def get_reason(self, obj: PostedImage) -> str | None:
        return obj.reason or None

    @extend_schema_field(CorrectionOutput(allow_null=True))
    def get_correction(self, obj: PostedImage) -> dict[str, Any] | None:
        return CorrectionOutput(obj).data if obj.corrected_latex else None


class ImageCreateOutput(ImageOutput):
    edit_token = serializers.CharField(
        help_text="Send it as the X-Edit-Token header to correct this image or fetch its "
        "file; it is shown only here, once."
    )
    steps = StepsOutput(
        required=False, help_text="Preprocessing stages as PNG data URLs (with debug only)."
    )

    class Meta(ImageOutput.Meta):
        fields = [*ImageOutput.Meta.fields, "edit_token", "steps"]


def _png_data_url(image: np.ndarray) -> str:
    ok, png = cv2.imencode(".png", image)
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 image
        raise ValueError("could not encode a debug image as PNG")
    return "data:image/png;base64," + base64.b64encode(png.tobytes()).decode("ascii")


def steps_as_data_urls(debug: DebugImages) -> dict[str, str]:
    """The intermediate images as PNG data URLs, ready for an ``<img src>``."""
    return {name: _png_data_url(image) for name, image in debug.as_dict().items()}
