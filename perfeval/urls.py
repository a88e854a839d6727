from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("projects.urls")),
]
# Uploaded 佐证材料 are never served from a public media URL: downloads go through a permission-checked view.
