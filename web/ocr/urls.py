from django.urls import path

from . import apis

app_name = "ocr"

urlpatterns = [
    path("images/", apis.ImageListCreateApi.as_view(), name="image-list"),
    path("images/create/", apis.ImageCreateApi.as_view(), name="image-create"),
    path("images/<int:pk>/", apis.ImageDetailApi.as_view(), name="image-detail"),
    path("images/<int:pk>/file/", apis.ImageFileApi.as_view(), name="image-file"),
    path("images/<int:pk>/correction/", apis.ImageCorrectionApi.as_view(), name="image-correction"),
]
