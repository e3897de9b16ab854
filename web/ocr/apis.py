"""The REST API: thin views; checking lives in serializers, work in services."""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, QueryDict
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, permissions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .errors import PayloadTooLarge
from .models import PostedImage
from .parsers import JSONParser
from .permissions import EDIT_TOKEN_HEADER, IsUploaderOrStaff
from .selectors import image_list
from .serializers import (
    FLAG_SPELLINGS,
    CorrectionInput,
    DebugQuery,
    ErrorOutput,
    ImageCreateInput,
    ImageCreateJsonInput,
    ImageCreateOutput,
    ImageOutput,
    steps_as_data_urls,
)
from .services import image_correct, image_create, image_file
from .throttling import AnonymousUploadThrottle

__all__ = [
    "ImageListCreateApi",
    "ImageCreateApi",
    "ImageDetailApi",
    "ImageCorrectionApi",
    "ImageFileApi",
]

DEBUG_PARAMETER = OpenApiParameter(
    "debug",
    str,
    enum=list(FLAG_SPELLINGS),
    default="false",
    description="Also answer the preprocessing stages (`steps`) as PNG data URLs: `1` or "
    "`true`; `0` or `false` (the default). Any other value is a 400 (`invalid`).",
)
EDIT_TOKEN_PARAMETER = OpenApiParameter(
    EDIT_TOKEN_HEADER,
    str,
    location=OpenApiParameter.HEADER,
    description="The `edit_token` the image's POST answered: proves the poster. "
    "Not needed by staff or by the signed-in user who posted it.",
)

# What each error status means, for the schema. Every error body is ErrorOutput.
ERRORS = {
    400: "Bad input, with its `code`: a body that is not JSON (`parse_error`), a field "
    "missing or of the wrong type (DRF's codes, with `fields`).",
    401: "Wrong or malformed HTTP Basic credentials (`authentication_failed`); the answer "
    'carries `WWW-Authenticate: Basic realm="api"`.',
    403: "Not allowed (`not_authenticated`, `permission_denied`; also a signed-in "
    "session's request without its CSRF token).",
    404: "No such image, or no such route (`not_found`).",
    413: "`too_large`: the image (or the body) is over MATHOCR_MAX_IMAGE_BYTES.",
    415: "`unsupported_media_type`: send JSON or multipart.",
    429: "`throttled`: too many anonymous posts, or failed logins, from this address; "
    "see `Retry-After`.",
    503: "`storage_unavailable`: the image could not be stored (disk full or read-only, "
    "database refusing writes); nothing was kept, try again later.",
}
IMAGE_400 = (
    "The image cannot be used, with its `code`: `invalid_base64`, `empty`, `not_an_image`, "
    "`unsupported_format`, `corrupt` (truncated), `too_many_pixels`, `bad_shape` (a side "
    "too long, or too long for its width), `multiple_frames` (an animation or several "
    "pages); `parse_error` for a body that is not JSON; DRF's field codes with `fields`."
)


def error_responses(*statuses: int, **described: str) -> dict[int, OpenApiResponse]:
    """Schema responses for *statuses*, each an ErrorOutput; ``s400=...`` rewords one."""
    return {
        status_code: OpenApiResponse(
            ErrorOutput, description=described.get(f"s{status_code}", ERRORS[status_code])
        )
        for status_code in statuses
    }


class ImagePagination(PageNumberPagination):
    """20 per page by default; ``?page_size=`` up to 100, a positive whole number or a 400.

    DRF's paginator quietly serves the default page size for a ``page_size``
    it cannot read (``null``, ``abc``, ``0``, ``-5``), so a client's typo went
    unnoticed while the schema promised an integer. Here only what the schema
    documents (digits, at least 1) is taken; anything else is refused like any
    other invalid input, with ``fields``. A size over the maximum is still
    served as the maximum (as documented), not refused: that is a cap, not a typo.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request: Request) -> int:
        if self.page_size_query_param not in request.query_params:
            return self.page_size
        sent = request.query_params[self.page_size_query_param]
        digits = sent.lstrip("0")
        if not (sent.isascii() and sent.isdigit() and digits):
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        f"must be a whole number from 1 (at most {self.max_page_size} are served)"
                    ]
                },
                code="invalid",
            )
        # Compared by length first: int() refuses thousands of digits (a ValueError,
        # sys.get_int_max_str_digits), and those too just ask for more than the cap.
        if len(digits) > len(str(self.max_page_size)):
            return self.max_page_size
        return min(int(digits), self.max_page_size)

    def get_page_number(self, request: Request, paginator: object) -> int | str:
        """``?page=`` as the schema documents it: a whole number from 1, or a 400.

        DRF also takes ``last`` (and passes anything else on, to be answered
        "Invalid page." as a 404, as if the page were merely past the end).
        The schema says integer ≥ 1, so a page that is not one is a client's
        invalid input; a page past the last is still a 404.
        """
        sent = request.query_params.get(self.page_query_param, "1")
        if not (sent.isascii() and sent.isdigit() and sent.lstrip("0")):
            raise exceptions.ValidationError(
                {self.page_query_param: ["must be a whole number from 1"]}, code="invalid"
            )
        return sent

    def get_schema_operation_parameters(self, view: object) -> list[dict]:
        """DRF's two parameters, with the bounds this paginator enforces."""
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    f"Results per page, from 1 (default {self.page_size}); more than "
                    f"{self.max_page_size} are served as {self.max_page_size}."
                )
        return parameters


def _debug_query(request: Request) -> bool:
    """``?debug=``: an unknown spelling is a 400, not a quiet no (checked before the image)."""
    query = DebugQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    return bool(query.validated_data["debug"])


def _create_input(request: Request) -> ImageCreateInput | ImageCreateJsonInput:
    """The post's fields as its media type writes them: text in a form, JSON's types in JSON."""
    if isinstance(request.data, QueryDict):  # multipart or url-encoded
        return ImageCreateInput(data=request.data)
    return ImageCreateJsonInput(data=request.data)


class ImageListCreateApi(generics.ListAPIView):
    """Post an image to recognize (anyone); list posted images (staff)."""

    queryset = image_list()
    serializer_class = ImageOutput
    pagination_class = ImagePagination
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_permissions(self) -> list[permissions.BasePermission]:
        if self.request.method == "POST":
            return [permissions.AllowAny()]
        return [permissions.IsAdminUser()]

    def get_throttles(self) -> list:
        return [AnonymousUploadThrottle()] if self.request.method == "POST" else []

    def get_serializer_class(self) -> type:
        return ImageCreateInput if self.request.method == "POST" else ImageOutput

    @extend_schema(
        responses={
            200: ImageOutput(many=True),
            **error_responses(
                400,
                401,
                403,
                404,
                s400="`invalid` (with `fields`): `?page_size=` is not a whole number from 1.",
                s404="`not_found`: no such page (`?page=`).",
            ),
        },
        summary="List posted images (staff)",
    )
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request={
            "application/json": ImageCreateJsonInput,
            "multipart/form-data": ImageCreateInput,
        },
        responses={
            201: ImageCreateOutput,
            **error_responses(400, 401, 403, 413, 415, 429, 503, s400=IMAGE_400),
        },
        parameters=[DEBUG_PARAMETER],
        summary="Recognize an image",
    )
    def post(self, request: Request) -> Response:
        # Refuse an oversize body before reading it (the JSON parser would read it all).
        length = request.META.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise PayloadTooLarge(
                f"the request is {int(length):,} bytes; an image may be at most "
                f"{settings.MATHOCR_MAX_IMAGE_BYTES:,} bytes"
            )
        debug = _debug_query(request)
        form = _create_input(request)
        form.is_valid(raise_exception=True)
        posted = image_create(
            checked=form.validated_data["image"],
            session_key=request.session.session_key or "",  # never creates one
            user=request.user,
            debug=debug or form.validated_data["debug"],
        )
        data = ImageOutput(posted.image, context={"request": request}).data
        data["edit_token"] = posted.edit_token
        if posted.debug is not None:
            data["steps"] = steps_as_data_urls(posted.debug)
        return Response(data, status=status.HTTP_201_CREATED)


class ImageCreateApi(ImageListCreateApi):
    """``POST /api/images/create/``: the original client's route, kept as an alias."""

    http_method_names = ["post", "options"]

    def get_permissions(self) -> list[permissions.BasePermission]:
        return [permissions.AllowAny()]  # it only posts; other methods answer 405


class ImageDetailApi(generics.RetrieveAPIView):
    """One posted image with its reading (staff)."""

    queryset = image_list()
    serializer_class = ImageOutput
    permission_classes = [permissions.IsAdminUser]

    @extend_schema(
        responses={200: ImageOutput, **error_responses(401, 403, 404)},
        summary="One posted image (staff)",
    )
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)


class PosterOnlyMixin:
    """Refusals name what is missing: the edit token, not a login.

    DRF answers any refused anonymous request "Authentication credentials
    were not provided", which sends a poster looking for a password when it
    lacks its ``X-Edit-Token``.
    """

    def permission_denied(
        self, request: Request, message: str | None = None, code: str | None = None
    ) -> None:
        raise exceptions.PermissionDenied(detail=message, code=code)


class ImageCorrectionApi(PosterOnlyMixin, APIView):
    """Store the right reading of an image: its poster (edit token or signed-in user), or staff."""

    permission_classes = [IsUploaderOrStaff]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        request=CorrectionInput,
        responses={
            200: ImageOutput,
            **error_responses(
                400,
                401,
                403,
                404,
                415,
                s400="`latex` missing, blank or over 1000 characters (with `fields`), or "
                "a body that is not JSON (`parse_error`).",
            ),
        },
        parameters=[EDIT_TOKEN_PARAMETER],
        summary="Correct",
    )
    def post(self, request: Request, pk: int) -> Response:
        image = get_object_or_404(PostedImage, pk=pk)
        self.check_object_permissions(request, image)
        form = CorrectionInput(data=request.data)
        form.is_valid(raise_exception=True)
        image = image_correct(image=image, latex=form.validated_data["latex"], user=request.user)
        return Response(ImageOutput(image, context={"request": request}).data)


class ImageFileApi(PosterOnlyMixin, APIView):
    """The stored image file: its poster (edit token or signed-in user), or staff."""

    permission_classes = [IsUploaderOrStaff]

    @extend_schema(
        responses={
            (200, "image/*"): bytes,
            **error_responses(
                401, 403, 404, 503, s503="`storage_unavailable`: the storage cannot be read now."
            ),
        },
        parameters=[EDIT_TOKEN_PARAMETER],
        summary="The stored image",
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        image = get_object_or_404(PostedImage, pk=pk)
        self.check_object_permissions(request, image)
        return FileResponse(
            image_file(image), content_type=f"image/{image.format.lower() or 'png'}"
        )
