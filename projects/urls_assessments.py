from django.contrib.auth import views as auth_views
from django.urls import path

from .views import assessments

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", assessments.dashboard, name="dashboard"),
    path("assessments/new/", assessments.assessment_new, name="assessment_new"),
    path("assessments/<int:pk>/", assessments.assessment_edit, name="assessment_edit"),
    path("assessments/<int:pk>/preview/", assessments.assessment_preview, name="assessment_preview"),
]
