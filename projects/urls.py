"""URL map of the product. Each area keeps its routes in its own module (projects/urls_*.py)."""

from django.urls import include, path

urlpatterns = [
    path("", include("projects.urls_assessments")),
    path("", include("projects.urls_review")),
    path("", include("projects.urls_printing")),
    path("", include("projects.urls_reports")),
    path("", include("projects.urls_settings")),
]
