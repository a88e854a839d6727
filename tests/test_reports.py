"""汇总表: who sees which forms, the figures (Decimal, summed by the database), filters, sorting, charts,
the .xlsx download, and a number of queries that does not grow with the number of forms."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects import reports
from projects.models import SelfAssessment, Unit

from .factories import ProjectFactory, complete_assessment, stored_evaluation

D = Decimal
URL = reverse("reports_summary")


def form(unit, name, *, budget="100", executed="100", funding_score="10", year=2023, status="draft", **kwargs):
    project = ProjectFactory(name=name, implementing_unit=unit, competent_department=unit.parent)
    a = complete_assessment(project, budget=budget, executed=executed, funding_score=funding_score, year=year, **kwargs)
    if status != "draft":
        SelfAssessment.objects.filter(pk=a.pk).update(status=status)
    return a


@pytest.fixture
def forms(unit, other_unit):
    """Three forms of `unit` (one in 元), one of another department's unit."""
    return {
        "full": form(unit, "甲项目", budget="100", executed="100"),
        "half": form(unit, "乙项目", budget="44.32", executed="20.33", funding_score="5", status="approved"),
        "yuan": form(unit, "丙项目", budget="500000", executed="250000", funding_score="5", amount_unit="元"),
        "other": form(other_unit, "外单位项目", budget="10", executed="1", funding_score="1"),
    }


def rows_of(response):
    return [row.project for row in response.context["summary"].rows]


# --- who sees what -------------------------------------------------------------------------------------


def test_a_preparer_sees_the_forms_of_their_unit_and_nothing_of_another(client_for, preparer, forms):
    response = client_for(preparer).get(URL)
    assert response.status_code == 200
    assert sorted(rows_of(response)) == ["丙项目", "乙项目", "甲项目"]
    assert "外单位项目" not in response.content.decode()


def test_the_outsider_sees_only_their_own_unit(client_for, outsider, forms):
    response = client_for(outsider).get(URL)
    assert rows_of(response) == ["外单位项目"]
    body = response.content.decode()
    assert "甲项目" not in body and "社区党群服务中心（测试）" not in body


def test_a_unit_outside_the_scope_is_a_404_not_an_empty_table(client_for, outsider, unit, department, forms):
    assert client_for(outsider).get(URL, {"unit": unit.pk}).status_code == 404
    assert client_for(outsider).get(URL, {"unit": department.pk}).status_code == 404
    assert client_for(outsider).get(URL, {"unit": "abc"}).status_code == 404


def test_the_reviewer_sees_the_department_and_the_administrator_everything(client_for, reviewer, admin_user, forms):
    assert sorted(rows_of(client_for(reviewer).get(URL))) == ["丙项目", "乙项目", "甲项目"]
    assert sorted(rows_of(client_for(admin_user).get(URL))) == ["丙项目", "乙项目", "外单位项目", "甲项目"]


def test_anonymous_users_go_to_the_login_page(client, forms):
    for name in ("reports_summary", "reports_summary_xlsx", "reports_forms_xlsx"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith("/login/")


# --- figures -------------------------------------------------------------------------------------------


def test_totals_are_exact_decimals_in_wan_yuan(client_for, reviewer, forms):
    summary = client_for(reviewer).get(URL).context["summary"]
    t = summary.totals
    # 100 + 44.32 + 50 (500000 元) and 100 + 20.33 + 25 (250000 元)
    assert (t.count, t.budget, t.executed) == (3, D("194.32"), D("145.33"))
    assert t.rate == D("74.79")  # 145.33 / 194.32 = 0.74789…
    assert t.mean_rate == D("65.29")  # (100 + 45.87 + 50) / 3 = 65.29
    assert t.mean_total == D("96.67")  # (100 + 95 + 95) / 3: 45.87 % and 50 % both earn 5 of 10
    rows = {row.project: row for row in summary.rows}
    assert (rows["丙项目"].budget, rows["丙项目"].rate, rows["丙项目"].funding_score) == (D(50), D("50.00"), D(5))
    assert (rows["乙项目"].rate, rows["乙项目"].total, rows["乙项目"].grade) == (D("45.87"), D(95), "优")
    assert t.by_status == {"draft": 2, "approved": 1}


def test_filters_by_year_status_grade_name_and_department(client_for, admin_user, department, forms, unit):
    c = client_for(admin_user)
    assert rows_of(c.get(URL, {"status": "approved"})) == ["乙项目"]
    assert rows_of(c.get(URL, {"q": "丙"})) == ["丙项目"]
    assert sorted(rows_of(c.get(URL, {"unit": department.pk}))) == ["丙项目", "乙项目", "甲项目"]
    form(unit, "去年项目", year=2022)
    assert rows_of(c.get(URL, {"year": 2022})) == ["去年项目"]
    # The default year is the latest one with forms.
    assert c.get(URL).context["summary"].filters.year == 2023
    low = form(unit, "低分项目", budget="100", executed="10", funding_score="1")
    low.indicators.update(score=D(0), deviation="未完成")
    stored_evaluation(low)
    response = c.get(URL, {"grade": "差"})
    assert rows_of(response) == ["低分项目"]
    # the database sums exactly the listed forms, even for a filter it cannot apply itself
    assert (response.context["summary"].totals.budget, response.context["summary"].totals.executed) == (D(100), D(10))


def test_nonsense_filter_values_fall_back_to_defaults(client_for, admin_user, forms):
    response = client_for(admin_user).get(URL, {"year": "x", "status": "nope", "grade": "A", "sort": "drop table"})
    assert response.status_code == 200
    f = response.context["summary"].filters
    assert (f.year, f.status, f.grade, f.sort) == (2023, "", "", "project")


def test_sorting_on_a_column_and_back(client_for, admin_user, forms):
    c = client_for(admin_user)
    assert rows_of(c.get(URL, {"sort": "rate"})) == ["外单位项目", "乙项目", "丙项目", "甲项目"]
    assert rows_of(c.get(URL, {"sort": "rate", "desc": "1"})) == ["甲项目", "丙项目", "乙项目", "外单位项目"]
    assert rows_of(c.get(URL, {"sort": "budget", "desc": "1"}))[0] == "甲项目"
    response = c.get(URL, {"sort": "total"})
    assert [row.total for row in response.context["summary"].rows] == sorted(
        row.total for row in response.context["summary"].rows
    )
    # The sorted column's header links to the reverse order.
    assert 'href="?year=2023&amp;sort=total&amp;desc=1"' in response.content.decode()


def test_forms_without_a_rate_sort_last_both_ways(client_for, admin_user, unit):
    form(unit, "零预算", budget="0", executed="0", funding_score="0")
    form(unit, "满", budget="10", executed="10")
    form(unit, "半", budget="10", executed="5", funding_score="5")
    c = client_for(admin_user)
    assert rows_of(c.get(URL, {"sort": "rate"})) == ["半", "满", "零预算"]
    assert rows_of(c.get(URL, {"sort": "rate", "desc": "1"})) == ["满", "半", "零预算"]


def test_the_page_shows_the_table_totals_and_three_charts(client_for, reviewer, forms):
    body = client_for(reviewer).get(URL).content.decode()
    assert body.count('data-testid="summary-row"') == 3
    assert body.count("<svg") == 3 and "等级分布" in body and "总分分布" in body and "各项目执行率" in body
    assert "194.32" in body and "145.33" in body and "74.79%" in body
    assert "<script>" not in body and ' style="' not in body  # CSP: our own files only


def test_rate_chart_draws_the_lowest_forty_and_says_so(client_for, admin_user, unit):
    for i in range(45):
        form(unit, f"项目{i:02}", budget="100", executed=str(i), funding_score="0")
    chart = client_for(admin_user).get(URL).context["summary"].charts[2]
    assert len(chart.bars) == 40 and chart.bars[0].value == "0%" and chart.bars[-1].value == "39%"
    assert chart.note == "共 45 个项目，图中只画出执行率最低的 40 个。"


def test_totals_fall_into_their_bins(client_for, admin_user, unit):
    for i, total in enumerate(("59.5", "60", "79.99", "84.5", "85", "100")):
        a = form(unit, f"项目{i}")
        # Scores are lowered, row by row, until the total lands on the figure (10 + 90 full points).
        missing = D(100) - D(total)
        for row in a.indicators.order_by("-weight"):
            cut = min(missing, row.weight)
            if cut:
                row.score, row.deviation = row.weight - cut, "原因"
                row.save()
            missing -= cut
        stored_evaluation(a)
    counts = {bar.label: int(bar.value) for bar in client_for(admin_user).get(URL).context["summary"].charts[1].bars}
    assert counts == {"<60": 1, "60–69": 1, "70–79": 1, "80–84": 1, "85–89": 1, "90–94": 0, "95–100": 1}


def test_choosing_the_finance_unit_means_every_unit(client_for, admin_user, finance, forms):
    response = client_for(admin_user).get(URL, {"unit": finance.pk})
    assert len(rows_of(response)) == 4 and response.context["summary"].scope_label == "全部单位"


def test_grade_chart_bars_are_proportional():
    totals = reports.Totals(by_grade={"优": 4, "良": 2, "中": 0, "差": 1})
    bars = {bar.label: bar for bar in reports.grade_chart(totals).bars}
    assert bars["优"].height == 2 * bars["良"].height and bars["中"].height == 0
    assert bars["优"].y + bars["优"].height == bars["差"].y + bars["差"].height  # same baseline


# --- constant queries ----------------------------------------------------------------------------------


def count_queries(client, params=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries), response


@pytest.mark.parametrize("params", [{}, {"grade": "优"}])
def test_the_page_costs_the_same_queries_for_3_or_30_forms(client_for, admin_user, unit, other_unit, params):
    c = client_for(admin_user)
    for i in range(3):
        form(unit if i % 2 else other_unit, f"少{i}")
    c.get(URL)  # warm the session and the rules row
    small, response = count_queries(c, params)
    assert len(response.context["summary"].rows) == 3
    for i in range(27):
        form(unit if i % 2 else other_unit, f"多{i}", amount_unit="元" if i % 3 else "万元")
    large, response = count_queries(c, params)
    assert len(response.context["summary"].rows) == 30
    assert small == large
    # session, user, memberships, years, the year's rules, totals with the histogram, by status, the page's ids
    # (sorted narrow) and its rows, the lowest rates, unit choices, unit lines
    assert large == 12


# --- the .xlsx download --------------------------------------------------------------------------------


def test_the_summary_downloads_as_xlsx_with_the_same_figures(client_for, reviewer, forms):
    response = client_for(reviewer).get(reverse("reports_summary_xlsx"), {"sort": "project"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response["Content-Disposition"] and ".xlsx" in response["Content-Disposition"]
    ws = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert ws["A1"].value == "2023 年度项目支出绩效自评汇总表"
    header = [c.value for c in ws[3]]
    assert header[:9] == [
        "序号",
        "项目名称",
        "实施单位",
        "主管部门",
        "年度",
        "状态",
        "全年预算数（万元）",
        "全年执行数（万元）",
        "执行率",
    ]
    data = list(ws.iter_rows(min_row=4, max_row=6, values_only=True))
    assert [row[1] for row in data] == ["丙项目", "甲项目", "乙项目"]  # pinyin order: bing, jia, yi
    assert data[0][6:11] == (50, 25, 0.5, 5, 95)  # numbers as numbers, 元 converted to 万元
    totals = [c.value for c in ws[7]]
    assert (totals[1], totals[6], totals[7]) == ("合计", 194.32, 145.33)
    assert "外单位项目" not in str(list(ws.values))


def test_the_forms_of_a_filter_download_one_sheet_each(client_for, reviewer, forms):
    response = client_for(reviewer).get(reverse("reports_forms_xlsx"), {"status": "draft"})
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    assert sorted(wb.sheetnames) == ["丙项目", "甲项目"]
    assert wb["丙项目"]["A5"].value == "项目资金\n（元）"


def test_too_many_forms_for_one_workbook_are_refused_with_a_message(client_for, admin_user, forms, monkeypatch):
    from projects.views import excel as excel_views

    monkeypatch.setattr(excel_views, "MAX_EXPORT_FORMS", 2)
    response = client_for(admin_user).get(reverse("reports_forms_xlsx"), {"year": 2023}, follow=True)
    assert "筛选结果有 4 份自评表，一次最多导出 2 份" in response.content.decode()


def test_an_empty_scope_says_so(client_for, db):
    from .factories import UserFactory

    response = client_for(UserFactory(username="nobody")).get(URL)
    assert response.status_code == 200
    assert "您可查看的范围内还没有自评表。" in response.content.decode()
    assert Unit.objects.count() == 0


def test_the_summary_follows_the_administrators_grade_bands(client_for, admin_user, unit):
    from projects.models import ScoringRules

    rules = ScoringRules.objects.create(year=2023, excellent_min=D(85), good_min=D(75), fair_min=D(55))
    form(unit, "八十七分项目", budget="100", executed="100")
    assert reports.scoring.grade(D(87), rules.as_rules()) == "优"
    response = client_for(admin_user).get(URL)
    summary = response.context["summary"]
    grades, totals, _rates = summary.charts
    assert grades.description == "优 ≥ 85，良 75–85，中 55–75，差 < 55"
    bars = {bar.label: bar.css for bar in reports.total_chart([0] * len(totals.bars), rules.as_rules()).bars}
    assert bars["85–89"] == "grade-a" and bars["75–79"] == "grade-b" and bars["<55"] == "grade-d"
    assert "优 ≥ 85" in response.content.decode()
    assert {bar.label for bar in totals.bars} >= {"<55", "55–59", "85–89"}


def test_the_district_is_summed_per_department_and_a_department_per_unit(
    client_for, admin_user, department, other_department, unit, other_unit, forms
):
    c = client_for(admin_user)
    summary = c.get(URL).context["summary"]
    assert summary.by_department and not summary.single_unit
    lines = {line.name: line for line in summary.units}
    assert set(lines) == {department.name, other_department.name}
    mine = lines[department.name]
    assert (mine.count, mine.budget, mine.executed) == (3, D("194.32"), D("145.33"))
    assert sum(mine.grades.values()) == 3
    assert f"unit={department.pk}" in mine.query
    page = c.get(URL)
    assert f'href="?{mine.query}"'.replace("&", "&amp;") in page.content.decode()

    within = c.get(URL, {"unit": department.pk}).context["summary"]
    assert not within.by_department
    assert [(line.name, line.count, line.query) for line in within.units] == [(unit.name, 3, "")]
    assert within.single_unit
