"""Routes: the page at /, the API under /api/, its schema and docs, the admin."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from web.ocr import views

urlpatterns = [
    path("", views.index, name="index"),
    path("api/", include("web.ocr.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api-auth/", include("rest_framework.urls")),
    path("admin/", admin.site.urls),
]

# Errors Django answers itself (no route, bad host, a bug): JSON under /api/
# (web.ocr.errors.API_PREFIX), Django's own pages elsewhere.
handler400 = "web.ocr.errors.bad_request"
handler403 = "web.ocr.errors.permission_denied"
handler404 = "web.ocr.errors.page_not_found"
handler500 = "web.ocr.errors.server_error"
