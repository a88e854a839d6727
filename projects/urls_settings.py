from django.urls import path

from .views import rules

urlpatterns = [
    path("settings/scoring/", rules.scoring_rules, name="scoring_rules"),
]
