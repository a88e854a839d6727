"""The nine real 2022 forms, imported and exported: what the system computes beside what was printed."""

import json
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from projects import interchange
from projects.models import Membership, SelfAssessment

PRINTED_TOTALS = {
    "区域人才服务经费": "89",
    "综合党委经费": "93",
    "区域党建经费": "92",
    "社区党校": "94",
    "新中心运行管理费": "91",
    "“泾彩”书记工作室": "89",
    "党代表工作室": "89",
    "新中心运营费": "92",
    "党建服务中心建设": "99",
}
WRONG_RATES = {"综合党委经费": ("48%", "45.87"), "社区党校": ("45%", "32.00"), "新中心运营费": ("28%", "22.59")}


@pytest.fixture
def exported(db, demo_document):
    interchange.import_document(demo_document)
    return {a["project"]: a for a in interchange.export_assessments(SelfAssessment.objects.all())["assessments"]}


def test_the_demo_file_holds_the_nine_forms(demo_document):
    assert [a["project"] for a in demo_document["assessments"]] == list(PRINTED_TOTALS)
    for a in demo_document["assessments"]:
        assert len(a["indicators"]) == 9
        assert a["printed"]["total_score"] == PRINTED_TOTALS[a["project"]]


def test_entered_total_equals_the_printed_total_on_all_nine(exported):
    assert {name: a["computed"]["entered_total"] for name, a in exported.items()} == PRINTED_TOTALS


def test_exactly_the_three_wrong_printed_rates_are_flagged(exported):
    flagged = {
        name
        for name, a in exported.items()
        if any(c["code"] == "execution_rate_printed_mismatch" for c in a["computed"]["checks"])
    }
    assert flagged == set(WRONG_RATES)
    for name, (printed, computed) in WRONG_RATES.items():
        assert exported[name]["printed"]["execution_rate"] == printed
        assert exported[name]["computed"]["execution_rate"] == computed
        check = next(c for c in exported[name]["computed"]["checks"] if c["code"] == "execution_rate_printed_mismatch")
        assert check["severity"] == "warning" and check["field"] == "funding.total"
        assert printed in check["message"] and computed in check["message"]


def test_a_rate_that_differs_only_by_printed_precision_is_not_flagged(exported):
    a = exported["新中心运行管理费"]
    assert a["printed"]["execution_rate"] == "71%"
    assert a["computed"]["execution_rate"] == "70.79"
    assert "execution_rate_printed_mismatch" not in {c["code"] for c in a["computed"]["checks"]}


def test_funding_score_differs_exactly_on_two_forms(exported):
    differs = {
        name: (a["funding_score"], a["computed"]["funding_score"])
        for name, a in exported.items()
        if Decimal(a["funding_score"]) != Decimal(a["computed"]["funding_score"])
    }
    assert differs == {"社区党校": ("5", "3"), "新中心运营费": ("3", "2")}
    assert exported["社区党校"]["computed"]["total_score"] == "92"
    assert exported["新中心运营费"]["computed"]["total_score"] == "91"


def test_grades_follow_the_computed_total(exported):
    assert exported["党建服务中心建设"]["computed"]["grade"] == "优"
    assert exported["区域人才服务经费"]["computed"]["grade"] == "良"


def test_the_published_figures_are_kept_not_corrected(exported, demo_document):
    """Import keeps what the unit entered; the export gives it back unchanged beside `computed`."""
    for original in demo_document["assessments"]:
        back = exported[original["project"]]
        for key in ("year", "competent_department", "implementing_unit", "goal_expected", "goal_actual", "printed"):
            assert back[key] == original[key]
        assert Decimal(back["funding_score"]) == Decimal(original["funding_score"])
        for mine, theirs in zip(back["funding"], original["funding"], strict=True):
            for column in ("initial_budget", "annual_budget", "executed"):
                assert (mine[column] is None) == (theirs[column] is None)
                if theirs[column] is not None:
                    assert Decimal(mine[column]) == Decimal(theirs[column])
        for mine, theirs in zip(back["indicators"], original["indicators"], strict=True):
            assert {k: mine[k] for k in ("level1", "level2", "name", "target", "actual", "deviation")} == {
                k: theirs[k] for k in ("level1", "level2", "name", "target", "actual", "deviation")
            }
            assert Decimal(mine["weight"]) == Decimal(theirs["weight"])
            assert Decimal(mine["score"]) == Decimal(theirs["score"])


def test_load_demo_loads_once_and_keeps_what_users_entered(db, capsys):
    call_command("load_demo")
    assert SelfAssessment.objects.count() == 9
    assert set(Membership.objects.values_list("user__username", "role")) == {
        ("preparer", "preparer"),
        ("reviewer", "reviewer"),
        ("admin", "admin"),
    }
    form = SelfAssessment.objects.get(project__name="党建服务中心建设")
    form.goal_actual = "用户修改过的内容"
    form.save()
    call_command("load_demo")
    form.refresh_from_db()
    assert form.goal_actual == "用户修改过的内容"
    assert SelfAssessment.objects.count() == 9
    assert "已存在" in capsys.readouterr().out


def test_demo_accounts_log_in_with_the_printed_password(db, client):
    call_command("load_demo")
    for username in ("preparer", "reviewer", "admin"):
        # Through the sign-in page, as a clerk would (and as the login throttling needs: it reads the request).
        assert client.post("/login/", {"username": username, "password": "demo"}).status_code == 302
        client.logout()


def test_export_command_writes_the_format(db, tmp_path, demo_document):
    interchange.import_document(demo_document)
    out = tmp_path / "out.json"
    call_command("export_assessments", "--year", "2022", "--unit", "上海市闵行区吴泾镇社区党群服务中心", "-o", str(out))
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["format"] == "perfeval.self-assessment/1"
    assert len(document["assessments"]) == 9
    call_command("export_assessments", "--year", "2021", "-o", str(out))
    assert json.loads(out.read_text(encoding="utf-8"))["assessments"] == []


def test_the_demo_finance_administrator_watches_and_reopens_but_does_not_decide(db, client):
    from projects import access

    call_command("load_demo")
    admin = get_user_model().objects.get(username="admin")
    assert not admin.is_staff and not admin.is_superuser
    assert access.is_finance_admin(admin)
    submitted = SelfAssessment.objects.filter(status=SelfAssessment.Status.SUBMITTED).first()
    draft = SelfAssessment.objects.filter(status=SelfAssessment.Status.DRAFT).first()
    assert not access.can_review(admin, submitted) and not access.can_edit(admin, draft)
    client.force_login(admin)
    assert client.get("/admin/projects/selfassessment/").status_code == 302  # the admin is for superusers
    assert client.get("/directory/units/").status_code == 200
    assert client.get("/reports/summary/").status_code == 200
