from django.urls import path

from .views import rules

urlpatterns = [
    path("settings/scoring/", rules.scoring_rules, name="scoring_rules"),
    path("settings/scoring/<int:year>/", rules.scoring_rules_year, name="scoring_rules_year"),
    path("settings/scoring/<int:year>/progress/", rules.reevaluation_progress, name="reevaluation_progress"),
]
