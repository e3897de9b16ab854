"""The REST API: thin views; checking lives in serializers, work in services."""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .errors import PayloadTooLarge
from .models import PostedImage
from .parsers import JSONParser
from .permissions import IsUploaderOrStaff
from .selectors import image_list
from .serializers import (
    CorrectionInput,
    ImageCreateInput,
    ImageCreateOutput,
    ImageOutput,
    steps_as_data_urls,
)
from .services import image_correct, image_create
from .throttling import AnonymousUploadThrottle

__all__ = [
    "ImageListCreateApi",
    "ImageCreateApi",
    "ImageDetailApi",
    "ImageCorrectionApi",
    "ImageFileApi",
]

DEBUG_PARAMETER = OpenApiParameter(
    "debug", bool, description="Also answer the preprocessing stages (`steps`) as PNG data URLs."
)


class ImagePagination(PageNumberPagination):
    """20 per page by default; ``?page_size=`` up to 100."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


def _wants_debug(request: Request, data: dict) -> bool:
    flag = request.query_params.get("debug", "")
    return bool(data.get("debug")) or flag.lower() in {"1", "true", "yes", "on"}


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
        request={"application/json": ImageCreateInput, "multipart/form-data": ImageCreateInput},
        responses={201: ImageCreateOutput},
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
        form = ImageCreateInput(data=request.data)
        form.is_valid(raise_exception=True)
        posted = image_create(
            checked=form.validated_data["image"],
            session_key=request.session.session_key or "",  # never creates one
            user=request.user,
            debug=_wants_debug(request, form.validated_data),
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


class ImageCorrectionApi(APIView):
    """Store the right reading of an image: its poster (edit token or signed-in user), or staff."""

    permission_classes = [IsUploaderOrStaff]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(request=CorrectionInput, responses={200: ImageOutput}, summary="Correct")
    def post(self, request: Request, pk: int) -> Response:
        image = get_object_or_404(PostedImage, pk=pk)
        self.check_object_permissions(request, image)
        form = CorrectionInput(data=request.data)
        form.is_valid(raise_exception=True)
        image = image_correct(image=image, latex=form.validated_data["latex"], user=request.user)
        return Response(ImageOutput(image, context={"request": request}).data)


class ImageFileApi(APIView):
    """The stored image file: its poster (edit token or signed-in user), or staff."""

    permission_classes = [IsUploaderOrStaff]

    @extend_schema(responses={(200, "image/*"): bytes}, summary="The stored image")
    def get(self, request: Request, pk: int) -> FileResponse:
        image = get_object_or_404(PostedImage, pk=pk)
        self.check_object_permissions(request, image)
        try:
            handle = image.image.open("rb")
        except FileNotFoundError:
            raise Http404("the image file is missing") from None
        return FileResponse(handle, content_type=f"image/{image.format.lower() or 'png'}")
