"""The preparer's pages through the Django test client: every page, the error paths, the other unit's user."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.models import Indicator, SelfAssessment

from .factories import AssessmentFactory, ProjectFactory, UserFactory, complete_assessment, member
from .test_assessment_editing import add_row, post_data, row_index

D = Decimal
pytestmark = pytest.mark.django_db


def edit_url(assessment):
    return reverse("assessment_edit", args=[assessment.pk])


def preview_url(assessment):
    return reverse("assessment_preview", args=[assessment.pk])


def text(response):
    return response.content.decode()


# -------------------------------------------------------------------------------------------------------
# Log in / out


def test_login_page_is_in_chinese_and_logs_in(client, preparer):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "登录" in text(response) and "用户名" in text(response)
    response = client.post(reverse("login"), {"username": "preparer", "password": "pw"})
    assert response.status_code == 302 and response.url == reverse("dashboard")


def test_wrong_password_says_so(client, preparer):
    response = client.post(reverse("login"), {"username": "preparer", "password": "nope"})
    assert response.status_code == 200
    assert "请输入一个正确的" in text(response)  # Django's own message, in Chinese


def test_pages_need_a_login(client, assessment):
    for url in (reverse("dashboard"), reverse("assessment_new"), edit_url(assessment)):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert client.post(preview_url(assessment)).status_code == 302


def test_logout(client_for, preparer):
    client = client_for(preparer)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 302


# -------------------------------------------------------------------------------------------------------
# 我的自评表


def test_dashboard_lists_the_units_forms_newest_year_first(client_for, preparer, project, assessment):
    old = complete_assessment(project, year=2021)
    bad = AssessmentFactory(
        project=ProjectFactory(
            name="未完成的项目",
            implementing_unit=project.implementing_unit,
            competent_department=project.competent_department,
        ),
        year=2022,
    )
    response = client_for(preparer).get(reverse("dashboard"))
    assert response.status_code == 200
    rows = [(a.pk, result.grade, result.unfilled) for a, result in response.context["rows"]]
    # The empty draft shows no grade (not "差"): nothing of it has been filled in yet.
    assert rows == [(assessment.pk, "优", False), (bad.pk, "", True), (old.pk, "优", False)]
    page = text(response)
    assert "区域人才服务经费（测试）" in page and "未完成的项目" in page
    errors = {a.pk: result.errors for a, result in response.context["rows"]}
    assert errors[assessment.pk] == 0 and errors[bad.pk] > 0
    assert edit_url(assessment) in page


def test_other_units_user_sees_nothing_of_the_unit(client_for, outsider, assessment):
    response = client_for(outsider).get(reverse("dashboard"))
    assert response.status_code == 200
    assert "区域人才服务经费（测试）" not in text(response)
    assert list(response.context["rows"]) == []


def test_reviewer_sees_the_departments_forms_and_cannot_create(client_for, reviewer, assessment):
    response = client_for(reviewer).get(reverse("dashboard"))
    assert [a.pk for a, _ in response.context["rows"]] == [assessment.pk]
    assert reverse("assessment_new") not in text(response)


def test_dashboard_filters(client_for, preparer, project, assessment):
    complete_assessment(project, year=2021)
    other = complete_assessment(
        ProjectFactory(
            name="社区党校",
            implementing_unit=project.implementing_unit,
            competent_department=project.competent_department,
        ),
        year=2021,
    )
    SelfAssessment.objects.filter(pk=other.pk).update(status="submitted")
    client = client_for(preparer)

    def names(**params):
        response = client.get(reverse("dashboard"), params)
        assert response.status_code == 200
        return [(a.project.name, a.year) for a, _ in response.context["rows"]]

    assert names(year=2021) == [("区域人才服务经费（测试）", 2021), ("社区党校", 2021)]
    assert names(status="submitted") == [("社区党校", 2021)]
    assert names(q="党校") == [("社区党校", 2021)]
    assert names(q="不存在") == []
    assert len(names(unit=project.implementing_unit.pk)) == 3
    # A value that is not one of the choices drops that filter only.
    assert len(names(year="abc", status="submitted")) == 1
    assert "没有符合条件的自评表" in text(client.get(reverse("dashboard"), {"q": "不存在"}))


def test_dashboard_pagination(client_for, preparer, unit, department):
    for n in range(23):
        AssessmentFactory(
            project=ProjectFactory(name=f"项目{n:02d}", implementing_unit=unit, competent_department=department)
        )
    client = client_for(preparer)
    first = client.get(reverse("dashboard"))
    assert len(first.context["rows"]) == 20
    assert "共 23 份" in text(first)
    second = client.get(reverse("dashboard"), {"page": 2})
    assert [a.project.name for a, _ in second.context["rows"]] == ["项目20", "项目21", "项目22"]
    assert client.get(reverse("dashboard"), {"page": "999"}).status_code == 200


def test_dashboard_queries_stay_constant_as_the_list_grows(
    client_for, preparer, project, unit, department, django_assert_num_queries
):
    complete_assessment(project, year=2020)
    client = client_for(preparer)
    client.get(reverse("dashboard"))  # warm the session
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("dashboard"))
    for n in range(12):
        complete_assessment(ProjectFactory(name=f"项目{n}", implementing_unit=unit, competent_department=department))
    with django_assert_num_queries(len(small)):
        response = client.get(reverse("dashboard"))
    assert len(response.context["rows"]) == 13
    assert len(small) <= 14


# -------------------------------------------------------------------------------------------------------
# New form


def test_new_form_page(client_for, preparer, assessment):
    response = client_for(preparer).get(
        reverse("assessment_new"), {"project": assessment.project.pk, "year": 2024, "copy": 1}
    )
    assert response.status_code == 200
    page = text(response)
    assert "新建自评表" in page and "区域人才服务经费（测试）" in page
    assert response.context["form"]["copy_previous"].value() is True


def test_new_form_refused_without_preparer_role(client_for, reviewer):
    response = client_for(reviewer).get(reverse("assessment_new"))
    assert response.status_code == 403
    assert "只有实施单位的填报人可以新建自评表" in text(response)


def test_new_form_creates_and_opens_it(client_for, preparer, assessment):
    response = client_for(preparer).post(
        reverse("assessment_new"), {"project": assessment.project.pk, "year": "2024", "copy_previous": "on"}
    )
    created = SelfAssessment.objects.get(year=2024)
    assert response.status_code == 302 and response.url == edit_url(created)
    assert created.indicators.count() == 6
    page = text(client_for(preparer).get(response.url))
    assert "已新建 2024 年度的自评表，并从 2023 年度复制了预期目标和 6 项绩效指标。" in page


def test_new_project_from_the_new_form_page(client_for, preparer, unit):
    response = client_for(preparer).post(
        reverse("assessment_new"),
        {"new_project_name": "新项目", "new_project_code": "P-1", "unit": unit.pk, "year": "2024"},
    )
    created = SelfAssessment.objects.get(project__name="新项目")
    assert response.status_code == 302 and created.project.code == "P-1"


def test_new_form_errors_keep_the_input(client_for, preparer, assessment):
    response = client_for(preparer).post(reverse("assessment_new"), {"project": assessment.project.pk, "year": "2023"})
    assert response.status_code == 200
    page = text(response)
    assert "已有 2023 年度的自评表" in page
    assert 'value="2023"' in page
    assert SelfAssessment.objects.count() == 1


def test_new_form_for_another_units_project_is_refused(client_for, outsider, assessment, other_unit):
    member(outsider, other_unit, "preparer")
    response = client_for(outsider).post(reverse("assessment_new"), {"project": assessment.project.pk, "year": "2024"})
    assert response.status_code == 200
    assert "所选项目不在您的单位中" in text(response)
    assert not SelfAssessment.objects.filter(year=2024).exists()


# -------------------------------------------------------------------------------------------------------
# The form page


def test_edit_page_is_laid_out_like_the_form(client_for, preparer, assessment):
    response = client_for(preparer).get(edit_url(assessment))
    assert response.status_code == 200
    page = text(response)
    for label in (
        "财政项目支出绩效自评表",
        "项目名称",
        "主管部门",
        "实施单位",
        "年初预算数",
        "全年预算数",
        "全年执行数",
        "执行率",
        "预期目标",
        "实际完成情况",
        "一级指标",
        "二级指标",
        "三级指标",
        "年度指标值",
        "实际完成值",
        "分值",
        "得分",
        "偏差原因分析及改进措施",
        "总分",
        "产出指标",
        "效益指标",
        "满意度指标",
        "保存草稿",
        "提交审核",
        "没有发现问题，可以提交审核。",
    ):
        assert label in page, label
    assert 'name="funding_total_executed"' in page and 'value="100"' in page
    assert f'hx-post="{preview_url(assessment)}"' in page
    assert 'name="version" value="1"' in page
    assert 'id="ind-row-template"' in page
    # No inline script or style: the CSP allows only our own files.
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)", page)
    assert " style=" not in page and " onclick=" not in page


def test_edit_page_links_every_check_to_its_field(client_for, preparer, assessment):
    Indicator.objects.filter(assessment=assessment, name="培训人次").update(score=D(15))
    response = client_for(preparer).get(edit_url(assessment))
    page = text(response)
    i = row_index(assessment, "培训人次")
    assert f'href="{edit_url(assessment)}#id_ind-{i}-deviation"' in page
    assert f'id="id_ind-{i}-deviation"' in page
    assert "第1行“培训人次”的得分 15 低于分值 20，须填写偏差原因分析及改进措施" in page


def test_other_units_user_gets_404_everywhere(client_for, outsider, assessment):
    client = client_for(outsider)
    for response in (
        client.get(edit_url(assessment)),
        client.post(edit_url(assessment), post_data(assessment, goal_actual="x")),
        client.post(preview_url(assessment), post_data(assessment)),
    ):
        assert response.status_code == 404
        assert "区域人才服务经费" not in text(response)
    assert SelfAssessment.objects.get(pk=assessment.pk).version == 1


def test_missing_form_is_404(client_for, preparer):
    assert client_for(preparer).get(reverse("assessment_edit", args=[999999])).status_code == 404


def test_reviewer_sees_the_form_read_only_and_cannot_save(client_for, reviewer, assessment):
    client = client_for(reviewer)
    response = client.get(edit_url(assessment))
    assert response.status_code == 200
    page = text(response)
    assert "只有“社区党群服务中心（测试）”的填报人可以修改这份自评表。" in page
    assert 'name="funding_total_executed"' in page and "disabled" in page
    assert "保存草稿" not in page and "hx-post" not in page
    response = client.post(edit_url(assessment), post_data(assessment, goal_actual="审核人改的"))
    assert response.status_code == 403
    assert client.post(preview_url(assessment), post_data(assessment)).status_code == 403
    assert SelfAssessment.objects.get(pk=assessment.pk).goal_actual != "审核人改的"


def test_approved_form_is_locked(client_for, preparer, assessment):
    SelfAssessment.objects.filter(pk=assessment.pk).update(status="approved")
    client = client_for(preparer)
    page = text(client.get(edit_url(assessment)))
    assert "已审核通过并锁定" in page and "保存草稿" not in page
    assert "以本表为基础新建下一年度" in page
    response = client.post(edit_url(assessment), post_data(assessment, goal_actual="改"))
    assert response.status_code == 409
    assert "未保存" in text(response) and "改" in text(response)  # the typed text is still shown
    assert SelfAssessment.objects.get(pk=assessment.pk).goal_actual != "改"


def test_save_draft(client_for, preparer, assessment):
    client = client_for(preparer)
    response = client.post(edit_url(assessment), post_data(assessment, goal_actual="", action="save"))
    assert response.status_code == 302 and response.url == edit_url(assessment)
    assessment.refresh_from_db()
    assert (assessment.goal_actual, assessment.version, assessment.status) == ("", 2, "draft")
    page = text(client.get(response.url))
    assert "已保存草稿（第 2 版）。" in page
    assert "年度总体目标的实际完成情况未填写" in page  # saved with an error: the checks panel says so


def test_validation_error_keeps_every_typed_value(client_for, preparer, assessment):
    i = row_index(assessment, "培训人次")
    data = post_data(
        assessment,
        goal_actual="刚刚输入的文字",
        funding_total_executed="abc",
        **{f"ind-{i}-actual": "99 人次", f"ind-{i}-score": "30"},
    )
    add_row(data, level1="benefit", level2="social", name="新加的一行", weight="1", score="1", position="9")
    client = client_for(preparer)
    response = client.post(edit_url(assessment), data)
    # A draft saves what is valid and keeps the refused cells as typed; only submission needs them corrected.
    assert response.status_code == 302
    assessment.refresh_from_db()
    total = assessment.funding_lines.get(source="total")
    row = assessment.indicators.get(name="培训人次")
    assert (assessment.goal_actual, assessment.version, total.executed) == ("刚刚输入的文字", 2, None)
    assert assessment.typed == {"funding.total.executed": "abc"}
    assert (row.actual, row.score, row.typed) == ("99 人次", None, {"score": "30"})
    assert assessment.indicators.filter(name="新加的一行").exists()
    page = text(client.get(edit_url(assessment)))
    assert "有 2 处填写有误，已按原样保存并标出" in page
    assert "这份草稿有 2 处填写有误，已按填写的内容保存" in page
    assert "刚刚输入的文字" in page and 'value="abc"' in page and "99 人次" in page and "新加的一行" in page
    assert f'id="id_ind-{i}-score_error">得分 30 超过分值 20' in page
    assert 'data-unsaved="1"' not in page  # everything on the page is saved
    assert 'id="id_funding_total_executed_error">“abc”不是数字，请填写数字，如 44.32' in page
    assert 'aria-invalid="true"' in page


def test_stale_save_is_refused_with_what_changed_and_keeps_the_input(client_for, preparer, assessment):
    colleague = member(
        UserFactory(username="colleague", first_name="李四"), assessment.project.implementing_unit, "preparer"
    )
    opened = post_data(assessment)
    i = row_index(assessment, "培训人次")
    client = client_for(colleague)
    client.post(edit_url(assessment), post_data(assessment, **{f"ind-{i}-score": "19", f"ind-{i}-deviation": "略"}))

    client = client_for(preparer)
    response = client.post(edit_url(assessment), dict(opened, goal_actual="我的文字"))
    assert response.status_code == 409
    page = text(response)
    assert "您打开的是第 1 版，现在是第 2 版" in page
    assert "李四" in page and "指标“培训人次”的得分：20 → 19" in page
    assert "我的文字" in page
    assert 'name="version" value="2"' in page  # the next save is made knowingly on the current version
    assert SelfAssessment.objects.get(pk=assessment.pk).goal_actual != "我的文字"


def test_submit_refused_while_errors_remain_says_which(client_for, preparer, assessment):
    client = client_for(preparer)
    response = client.post(edit_url(assessment), post_data(assessment, goal_expected="", action="submit"))
    assert response.status_code == 302
    page = text(client.get(response.url))
    assert "未能提交审核：还有 1 个错误需要修改后才能提交审核。 已为您保存草稿。" in page
    assert "年度总体目标的预期目标未填写" in page
    assert SelfAssessment.objects.get(pk=assessment.pk).status == "draft"


def test_submit(client_for, preparer, assessment):
    client = client_for(preparer)
    response = client.post(edit_url(assessment), post_data(assessment, action="submit"))
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == "submitted"
    page = text(client.get(response.url))
    assert "已提交审核" in page and "保存草稿" not in page and "正在审核中，不能修改" in page


def test_live_preview_recomputes_the_unsaved_page(client_for, preparer, assessment):
    i = row_index(assessment, "培训人次")
    data = post_data(
        assessment,
        funding_total_executed="45",
        funding_current_appropriation_executed="45",
        **{f"ind-{i}-actual": "60 人次", f"ind-{i}-score": "12"},
    )
    response = client_for(preparer).post(preview_url(assessment), data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = text(response)
    assert "<html" not in page  # only the fragments
    assert 'id="totals-card" class="card totals-card mb-3" hx-swap-oob="true"' in page
    assert 'id="execution-rate" class="computed" hx-swap-oob="true"' in page and "45%" in page
    assert 'id="checks-panel"' in page and "第1行“培训人次”的得分 12 低于分值 20" in page
    result = response.context["evaluation"]
    assert (result.execution_rate, result.funding_score, result.total_score) == (D("45.00"), D("5"), D("87"))
    assert f'id="suggest-{i}"' in page
    assert SelfAssessment.objects.get(pk=assessment.pk).version == 1  # nothing saved


def test_live_preview_reports_unreadable_input_in_the_panel(client_for, preparer, assessment):
    response = client_for(preparer).post(preview_url(assessment), post_data(assessment, funding_score="十"))
    assert "得分：“十”不是数字，请填写数字，如 44.32" in text(response)


def test_preview_needs_post(client_for, preparer, assessment):
    assert client_for(preparer).get(preview_url(assessment)).status_code == 405


def test_edit_page_queries_stay_constant_as_rows_grow(client_for, preparer, assessment):
    client = client_for(preparer)
    client.get(edit_url(assessment))
    with CaptureQueriesContext(connection) as small:
        client.get(edit_url(assessment))
    for n in range(25):
        Indicator.objects.create(
            assessment=assessment,
            position=10 + n,
            level1="output",
            level2="quality",
            name=f"指标{n}",
            weight=D(0),
            score=D(0),
        )
    with CaptureQueriesContext(connection) as large:
        response = client.get(edit_url(assessment))
    assert len(response.context["sections"][0].rows) == 29
    assert len(large) == len(small)


def test_english_interface(client_for, preparer, assessment):
    client = client_for(preparer)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.get(edit_url(assessment))
    assert response.status_code == 200
    assert '<html lang="en">' in text(response)
    assert 'name="funding_total_executed"' in text(response)


def test_a_broken_post_loses_nothing_and_says_to_reload(client_for, preparer, assessment):
    client = client_for(preparer)
    response = client.post(edit_url(assessment), {"goal_actual": "只有这一项"})
    assert response.status_code == 422
    page = text(response)
    assert "页面数据不完整，请刷新页面后重新填写" in page
    assert "只有这一项" in page
    assert client.post(preview_url(assessment), {}).status_code == 200
    assert SelfAssessment.objects.get(pk=assessment.pk).version == 1


def test_checks_panel_included_elsewhere_shows_the_evaluation_its_view_passes(rf, preparer, assessment):
    from django.template.loader import render_to_string

    from projects.evaluation import evaluate_assessment

    Indicator.objects.filter(assessment=assessment, name="培训人次").update(score=D(15))
    context = {"assessment": assessment, "evaluation": evaluate_assessment(assessment)}
    html = render_to_string("projects/partials/checks_panel.html", context)
    assert "第1行“培训人次”的得分 15 低于分值 20，须填写偏差原因分析及改进措施" in html
    assert f'href="{edit_url(assessment)}#id_ind-0-deviation"' in html
    assert "hx-swap-oob" not in html


# -------------------------------------------------------------------------------------------------------
# Acceptance fixes: refused input computes nothing, two editors, the attachments panel


def form_fields(page_html, form_id="assessment-form"):
    """What a browser would post for the form `form_id` of a page (inputs, text areas, selects)."""
    from html.parser import HTMLParser

    class Reader(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.data, self.inside, self.textarea, self.select = {}, False, None, None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "form":
                self.inside = a.get("id") == form_id
            if not self.inside or "disabled" in a:
                return
            if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button", "file"):
                if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                    return
                self.data[a["name"]] = a.get("value", "on" if a.get("type") == "checkbox" else "")
            elif tag == "textarea":
                self.textarea = a["name"]
                self.data[self.textarea] = ""
            elif tag == "select":
                self.select = a["name"]
                self.data.setdefault(self.select, "")
            elif tag == "option" and self.select and "selected" in a:
                self.data[self.select] = a.get("value", "")

        def handle_endtag(self, tag):
            if tag == "form":
                self.inside = False
            elif tag == "textarea":
                self.textarea = None
            elif tag == "select":
                self.select = None

        def handle_data(self, data):
            if self.textarea:
                self.data[self.textarea] += data.removeprefix("\n") if not self.data[self.textarea] else data

    reader = Reader()
    reader.feed(page_html)
    return reader.data


def test_preview_shows_dashes_not_numbers_from_refused_input(client_for, preparer, assessment):
    i = row_index(assessment, "培训人次")
    data = post_data(
        assessment,
        funding_total_annual_budget="-5",
        funding_total_executed="99999999999999999999",
        **{f"ind-{i}-weight": "1e3"},
    )
    response = client_for(preparer).post(preview_url(assessment), data, headers={"HX-Request": "true"})
    page = text(response)
    result = response.context["evaluation"]
    assert (result.execution_rate, result.total_score, result.grade) == (None, None, "")
    assert "1999999999" not in page and "1020" not in page and "1000" not in page
    assert '<span class="total-value" data-testid="total">—</span>' in page
    assert 'data-testid="grade">—</span>' in page
    assert "分值合计 —，得分合计 50" in page  # 产出: a 分值 is refused
    assert "分值合计 30，得分合计 30" in page  # 效益: nothing refused
    assert "年度资金总额的金额填写有误，改正后才能计算" in page  # why 执行率 shows "—"
    assert f'id="suggest-{i}" class="suggest" hx-swap-oob="true" title="本行有填写错误，改正后才能计算"' in page
    assert '<td class="num fw-semibold" colspan="2">—</td>' in page  # 计算总分
    # ...and the panel lists the input errors rather than claiming the cells are empty.
    assert "全年预算数：不能为负数" in page and "全年执行数：数字过长" in page
    assert "“1e3”不是数字，请填写数字，如 44.32" in page


def test_the_panel_prefers_the_input_error_to_empty(client_for, preparer, assessment):
    response = client_for(preparer).post(
        edit_url(assessment), post_data(assessment, funding_total_initial_budget="abc"), follow=True
    )
    page = text(response)
    assert "年度资金总额 年初预算数：“abc”不是数字，请填写数字，如 44.32" in page
    assert "年初预算数未填写" not in page


def test_page_after_a_failed_save_shows_no_figure_from_refused_input(client_for, preparer, assessment):
    response = client_for(preparer).post(edit_url(assessment), post_data(assessment, funding_score="1e3"), follow=True)
    page = text(response)
    assert 'data-testid="total">—<' in page and "1000" not in page
    assert "得分：“1e3”不是数字，请填写数字，如 44.32" in page


def test_two_editors_the_second_save_keeps_the_others_changes(client, client_for, preparer, assessment):
    from django.test import Client

    colleague = member(
        UserFactory(username="colleague", first_name="李四"), assessment.project.implementing_unit, "preparer"
    )
    i, j = row_index(assessment, "培训人次"), row_index(assessment, "参与度")
    mine = client_for(preparer)
    theirs = Client()
    theirs.force_login(colleague)
    my_page = form_fields(text(mine.get(edit_url(assessment))))
    their_page = form_fields(text(theirs.get(edit_url(assessment))))
    assert my_page["loaded"] and my_page["version"] == "1"

    # 李四 changes 全年执行数, a row's 得分, and the 实际完成情况.
    their_page.update(
        {
            "funding_total_executed": "90",
            "funding_current_appropriation_executed": "90",
            f"ind-{i}-score": "15",
            f"ind-{i}-deviation": "报名人数不足。",
            "goal_actual": "李四的文字",
            "action": "save",
        }
    )
    assert theirs.post(edit_url(assessment), their_page).status_code == 302

    # I change another row, and the 实际完成情况 too; my save is refused as stale.
    my_page.update(
        {f"ind-{j}-score": "29", f"ind-{j}-deviation": "个别活动延期。", "goal_actual": "我的文字", "action": "save"}
    )
    response = mine.post(edit_url(assessment), my_page)
    assert response.status_code == 409
    page = text(response)
    assert "您和对方都修改了以下内容，再次保存时将以您填写的为准" in page and "<li>实际完成情况</li>" in page
    again = form_fields(page)
    # The page now shows their 全年执行数 and 得分 (I never touched those), my typing where I typed.
    assert (again["funding_total_executed"], again[f"ind-{i}-score"]) == ("90", "15")
    assert (again["goal_actual"], again[f"ind-{j}-score"]) == ("我的文字", "29")
    assert again["version"] == "2"

    # Saving again, knowingly: only my changes are written.
    again["action"] = "save"
    response = mine.post(edit_url(assessment), again)
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert (assessment.version, assessment.goal_actual) == (3, "我的文字")
    assert assessment.funding_lines.get(source="total").executed == D("90")
    assert assessment.indicators.get(name="培训人次").score == D("15")
    assert assessment.indicators.get(name="参与度").score == D("29")
    page = text(mine.get(response.url))
    assert "以下内容对方也修改过，已按您填写的内容保存：实际完成情况" in page


def test_attachment_links_download_the_file_and_duplicates_are_marked(
    client_for, preparer, assessment, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .test_attachments import PDF as pdf  # a real one: attachments are checked in full

    settings.MEDIA_ROOT = tmp_path
    client = client_for(preparer)
    for name in ("验收报告.pdf", "照片说明.pdf", "验收报告.pdf"):
        client.post(reverse("attachment_list", args=[assessment.pk]), {"files": [SimpleUploadedFile(name, pdf)]})
    page = text(client.get(edit_url(assessment)))
    links = re.findall(r'<a class="text-break" href="[^"]+"([^>]*)>', page)
    assert len(links) == 3 and all(" download" in attrs and "_blank" not in attrs for attrs in links)
    assert page.count('data-testid="attachment-duplicate"') == 1  # the second 验收报告.pdf
    assert "可能重复" in page
    assert f'data-name="验收报告.pdf" data-size="{len(pdf)}"' in page  # for the warning before an upload


def test_edit_page_carries_what_it_loaded_and_lays_out_the_wide_tables(client_for, preparer, assessment):
    import json

    page = text(client_for(preparer).get(edit_url(assessment)))
    loaded = json.loads(form_fields(page)["loaded"])
    assert loaded["header"]["funding_total_executed"] == "100"
    assert len(loaded["rows"]) == 6 and loaded["rows"][0]["name"] == "培训人次"
    assert '<div class="table-scroll mb-3">' in page
    assert '<col class="c-goals-head"><col class="c-goal"><col class="c-goal">' in page
