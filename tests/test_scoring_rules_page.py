"""The 财政 administrator sets the local variations; the computed figures follow, the entered ones stay."""

from decimal import Decimal

import pytest

from projects.evaluation import evaluate_assessment, rules_row
from projects.models import ScoringRules

URL = "/settings/scoring/2023/"

VALID = {
    "funding_score_places": "2",
    "funding_weight": "10",
    "output_weight": "50",
    "benefit_weight": "30",
    "satisfaction_weight": "10",
    "excellent_min": "85",
    "good_min": "75",
    "fair_min": "60",
    "score_tolerance": "1",
}


def saved_rules():
    return ScoringRules.objects.get(year=2023)


def test_only_the_finance_administrator_sees_the_settings(client_for, preparer, reviewer, outsider, admin_user):
    for user in (preparer, reviewer, outsider):
        assert client_for(user).get("/settings/scoring/").status_code == 403
        assert client_for(user).get(URL).status_code == 403
    page = client_for(admin_user).get(URL)
    assert page.status_code == 200 and "等级分数线" in page.content.decode()


def test_saving_changes_the_computed_figures_not_the_entered_ones(client_for, admin_user, assessment):
    line = assessment.funding_lines.get(source="total")
    line.executed = Decimal("45.87")
    line.save()
    assert evaluate_assessment(assessment).funding_score == Decimal(5)
    response = client_for(admin_user).post(URL, VALID)
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert evaluate_assessment(assessment).funding_score == Decimal("4.59")
    assert assessment.funding_lines.get(source="total").score == Decimal(10)
    rules = saved_rules()
    assert rules.history.count() >= 2 and rules.history.first().history_user == admin_user


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"output_weight": "60"}, "合计必须为 100，现在是 110"),
        ({"good_min": "90"}, "优 &gt; 良 &gt; 中 ≥ 0"),
        ({"funding_weight": "abc"}, "请填写数字，如 10。"),
        ({"excellent_min": "200"}, "不能大于 100。"),
        ({"score_tolerance": "-1"}, "不能小于 0。"),
        ({"funding_weight": "-10", "output_weight": "70"}, "不能小于 0。"),
    ],
)
def test_bad_settings_are_refused_and_keep_what_was_typed(client_for, admin_user, change, message):
    rules_row(2023)
    response = client_for(admin_user).post(URL, {**VALID, **change})
    page = response.content.decode()
    assert response.status_code == 400
    assert message in page
    assert f'value="{next(iter(change.values()))}"' in page
    assert "rules_" not in page  # never a constraint's internal name
    assert page.count(message) == 1
    assert saved_rules().excellent_min == Decimal(90) and saved_rules().version == 1
