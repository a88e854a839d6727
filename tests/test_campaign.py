"""自评任务: issuing a year's tasks (all or nothing), deadlines, the clerk's to-do, the progress board."""

import datetime
import io
import json
from decimal import Decimal
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from projects import campaign, tasklist
from projects.interchange import ImportRefused
from projects.models import Campaign, DeadlineChange, EvaluationTask, Project, SelfAssessment, Unit

from .factories import ProjectFactory, TaskFactory, complete_assessment

Status = SelfAssessment.Status
D = Decimal
YEAR = 2023


def document(*tasks, **extra):
    return {"format": tasklist.FORMAT, "year": YEAR, "tasks": list(tasks), **extra}


def task(project="区域人才服务经费", unit="社区党群服务中心", department="吴泾镇人民政府", **extra):
    return {"project": project, "competent_department": department, "implementing_unit": unit, **extra}


def xlsx(rows, headings=None):
    wb = Workbook()
    ws = wb.active
    ws.title = tasklist.SHEET
    ws.append(headings or [heading for _name, heading, _w in tasklist.COLUMNS])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def issue(admin_user, data):
    return campaign.issue(admin_user, YEAR, tasklist.parse_document(data))


# --- issuing ------------------------------------------------------------------------------------------------


def test_a_list_creates_departments_units_projects_and_tasks(admin_user):
    result = issue(
        admin_user,
        document(
            task(project_code="31011200001", key=True, initial_budget="18", annual_budget="18.5"),
            task(project="党建经费", unit="吴泾镇人民政府"),
        ),
    )
    assert (result.created, result.updated, result.new_projects) == (2, 0, 2)
    assert result.new_units == ["吴泾镇人民政府", "社区党群服务中心"]
    unit = Unit.objects.get(name="社区党群服务中心")
    assert unit.kind == Unit.Kind.IMPLEMENTING and unit.parent.name == "吴泾镇人民政府"
    first = EvaluationTask.objects.get(project__name="区域人才服务经费")
    assert (first.key, first.initial_budget, first.annual_budget) == (True, D("18"), D("18.5"))
    assert first.project.code == "31011200001" and first.created_by == admin_user
    # A department's own project: the department is its 实施单位.
    own = Project.objects.get(name="党建经费")
    assert own.implementing_unit == own.competent_department
    assert first.history.count() == 1


def test_reimporting_updates_key_and_amounts_and_creates_nothing_twice(admin_user):
    issue(admin_user, document(task(annual_budget="18")))
    result = issue(admin_user, document(task(annual_budget="20", key=True)))
    assert (result.created, result.updated, result.new_projects, result.new_units) == (0, 1, 0, [])
    stored = EvaluationTask.objects.get()
    assert (stored.annual_budget, stored.key) == (D("20"), True)


def test_existing_units_and_projects_are_matched_by_name(admin_user, project, unit, department):
    result = issue(admin_user, document(task(project=project.name, unit=unit.name, department=department.name)))
    assert (result.created, result.new_projects, result.new_units) == (1, 0, [])
    assert EvaluationTask.objects.get().project == project


def test_a_bad_row_refuses_the_whole_list_naming_each_row(admin_user, unit, other_department):
    data = document(
        task(project="好的一行"),
        task(project="", annual_budget="abc"),
        task(project="好的一行"),
        task(project="挂错部门", unit=unit.name, department=other_department.name),
        task(project="负数", initial_budget="-1"),
    )
    with pytest.raises(ImportRefused) as refused:
        issue(admin_user, data)
    problems = refused.value.problems
    assert any("第 2 项任务的“项目名称”" in p for p in problems)
    assert any("第 2 项任务的“全年预算数（万元）”" in p for p in problems)
    assert any("第 5 项任务的“年初预算数（万元）”" in p for p in problems)
    assert not EvaluationTask.objects.exists() and not Unit.objects.filter(name="社区党群服务中心").exists()


def test_directory_conflicts_are_refused_with_the_row(admin_user, unit, other_department, finance):
    data = document(
        task(project="好的一行"),
        task(project="好的一行"),
        task(project="挂错部门", unit=unit.name, department=other_department.name),
        task(project="财政的", unit=finance.name),
        task(project="编码甲", project_code="X1"),
        task(project="编码乙", project_code="X1"),
    )
    with pytest.raises(ImportRefused) as refused:
        issue(admin_user, data)
    text = "\n".join(refused.value.problems)
    assert "第 2 项任务：与第 1 项任务重复" in text
    assert f"第 3 项任务：实施单位“{unit.name}”在系统中隶属于" in text
    assert "第 4 项任务：“财政所（测试）”在系统中是财政部门" in text
    assert "第 6 项任务：项目编码“X1”在清单中也用于“编码甲”" in text
    assert not EvaluationTask.objects.exists() and not Project.objects.exists()


def test_a_code_on_file_must_match(admin_user, project, unit, department):
    Project.objects.filter(pk=project.pk).update(code="A-1")
    with pytest.raises(ImportRefused) as refused:
        issue(
            admin_user,
            document(task(project=project.name, unit=unit.name, department=department.name, project_code="B-2")),
        )
    assert "编码是“A-1”，清单中是“B-2”" in refused.value.problems[0]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([], "自评任务清单"),
        ({"format": "perfeval.tasks/1", "tasks": {}}, "数组"),
        ({"format": "perfeval.tasks/1", "tasks": []}, "任务列表是空的"),
        (document(task(key="yes")), "“key”：应为 true 或 false"),
        (document(task(annual_budget=18.5)), "带引号的字符串"),
        (document(task(extra=1)), "未知字段“extra”"),
        (document(task(), year=1900), "2000 到 2100"),
        (document(task(), submission_deadline="5月15日"), "2023-05-15"),
    ],
)
def test_bad_documents_say_what_is_wrong(data, expected):
    with pytest.raises(ImportRefused) as refused:
        tasklist.parse_document(data)
    assert expected in "\n".join(refused.value.problems)


def test_a_list_of_another_year_is_refused(admin_user):
    with pytest.raises(ImportRefused, match="2024 年度的任务清单"):
        campaign.issue(admin_user, YEAR, tasklist.parse_document(document(task(), year=2024)))


def test_deadlines_in_the_document_are_set(admin_user):
    issue(admin_user, document(task(), submission_deadline="2023-05-15", review_deadline="2023-05-31"))
    stored = Campaign.objects.get(year=YEAR)
    assert (stored.submission_deadline, stored.review_deadline) == (
        datetime.date(2023, 5, 15),
        datetime.date(2023, 5, 31),
    )


def test_only_finance_issues(preparer, reviewer):
    for user in (preparer, reviewer):
        with pytest.raises(campaign.CampaignRefused):
            issue(user, document(task()))


def test_the_excel_template_round_trips(admin_user):
    template = load_workbook(io.BytesIO(tasklist.template_workbook(YEAR)))
    headings = [c.value for c in template[tasklist.SHEET][1]]
    rows = [["0123", "区域人才服务经费", "吴泾镇人民政府", "社区党群服务中心", "是", 18, 18.5]]
    parsed = tasklist.read_workbook(xlsx(rows, headings))
    (row,) = parsed.rows
    assert (row.project_code, row.key, row.initial_budget, row.annual_budget) == ("0123", True, D("18"), D("18.5"))
    assert row.where == "表“自评任务”第 2 行"


def test_excel_problems_name_sheet_row_and_column():
    rows = [
        ["", "", "吴泾镇人民政府", "社区", "也许", "=1+1", None],
        [None] * 7,
        ["", "第三行", "吴泾镇人民政府", "社区", "", "", "-3"],
    ]
    with pytest.raises(ImportRefused) as refused:
        tasklist.read_workbook(xlsx(rows))
    text = "\n".join(refused.value.problems)
    assert "表“自评任务”第 2 行的“项目名称”：不能为空" in text
    assert "表“自评任务”第 2 行的“重点（是/否）”：应填“是”或“否”" in text
    assert "表“自评任务”第 2 行的“年初预算数（万元）”" in text
    assert "表“自评任务”第 4 行的“全年预算数（万元）”" in text


def test_a_workbook_without_the_headings_is_refused():
    with pytest.raises(ImportRefused, match="没有找到自评任务表"):
        tasklist.read_workbook(xlsx([["a", "b"]], headings=["甲", "乙"]))


def test_read_file_tells_excel_from_json():
    raw = io.BytesIO(json.dumps(document(task())).encode())
    assert len(tasklist.read_file(raw).rows) == 1
    assert len(tasklist.read_file(xlsx([["", "项目", "部门", "单位", "", "", ""]])).rows) == 1
    with pytest.raises(ImportRefused, match="不是有效的 JSON"):
        tasklist.read_file(io.BytesIO(b"{"))


def test_issue_from_projects_covers_last_years_forms(admin_user, project, other_unit):
    complete_assessment(project, year=YEAR - 1)
    complete_assessment(ProjectFactory(implementing_unit=other_unit), year=YEAR - 5)
    assert campaign.issue_from_projects(admin_user, YEAR).created == 1
    assert campaign.issue_from_projects(admin_user, YEAR).created == 0
    assert EvaluationTask.objects.get().project == project


# --- deadlines ----------------------------------------------------------------------------------------------


def test_moving_a_deadline_needs_a_reason_and_is_recorded(admin_user):
    campaign.set_deadlines(admin_user, YEAR, submission=datetime.date(2023, 5, 15), review=None)
    with pytest.raises(campaign.CampaignRefused, match="请填写调整原因"):
        campaign.set_deadlines(admin_user, YEAR, submission=datetime.date(2023, 5, 20), review=None)
    campaign.set_deadlines(admin_user, YEAR, submission=datetime.date(2023, 5, 20), review=None, reason="系统维护")
    changes = list(DeadlineChange.objects.order_by("pk").values_list("old_date", "new_date", "reason", "user"))
    assert changes == [
        (None, datetime.date(2023, 5, 15), "", admin_user.pk),
        (datetime.date(2023, 5, 15), datetime.date(2023, 5, 20), "系统维护", admin_user.pk),
    ]


def test_review_deadline_cannot_precede_submission(admin_user):
    with pytest.raises(campaign.CampaignRefused, match="不能早于"):
        campaign.set_deadlines(
            admin_user, YEAR, submission=datetime.date(2023, 5, 15), review=datetime.date(2023, 5, 1)
        )
    assert not Campaign.objects.exists()


# --- the to-do, days and notices --------------------------------------------------------------------------


@pytest.fixture
def year_tasks(admin_user, unit, department, other_unit):
    """Five tasks of `unit` in each state, one cancelled, one of the other unit; deadlines 5-15 and 5-31."""
    projects = {
        name: ProjectFactory(name=name, implementing_unit=unit)
        for name in ("未开始", "草稿", "已提交", "已退回", "已审核", "取消的")
    }
    tasks = {name: TaskFactory(project=p, year=YEAR) for name, p in projects.items()}
    for name, status in (("草稿", Status.DRAFT), ("已提交", Status.SUBMITTED), ("已退回", Status.RETURNED)):
        complete_assessment(projects[name], year=YEAR, status=status)
    approved = complete_assessment(projects["已审核"], year=YEAR)
    SelfAssessment.objects.filter(pk=approved.pk).update(status=Status.APPROVED)
    complete_assessment(projects["未开始"], year=YEAR - 1)  # last year's form is not this year's
    campaign.cancel(admin_user, tasks["取消的"], "项目已撤销")
    tasks["外单位"] = TaskFactory(
        project=ProjectFactory(name="外单位", implementing_unit=other_unit), year=YEAR, key=True
    )
    campaign.set_deadlines(admin_user, YEAR, submission=datetime.date(2023, 5, 15), review=datetime.date(2023, 5, 31))
    return tasks


def test_the_todo_lists_what_the_unit_still_owes(year_tasks, preparer):
    lines = campaign.todo(preparer, datetime.date(2023, 5, 10))
    assert [(line.task.project.name, line.state, line.days) for line in lines] == [
        ("已退回", Status.RETURNED, 5),
        ("未开始", campaign.NOT_STARTED, 5),
        ("草稿", Status.DRAFT, 5),
    ]


@pytest.mark.parametrize(
    ("on", "days", "overdue"), [("2023-05-14", 1, False), ("2023-05-15", 0, False), ("2023-05-16", -1, True)]
)
def test_days_left_around_the_deadline(year_tasks, preparer, on, days, overdue):
    line = campaign.todo(preparer, datetime.date.fromisoformat(on))[0]
    assert (line.days, line.overdue) == (days, overdue)


def test_today_is_the_date_in_shanghai():
    # 2023-05-15 17:30 UTC is already 05-16 01:30 in Shanghai: the deadline of the 15th has passed there.
    late_evening_utc = datetime.datetime(2023, 5, 15, 17, 30, tzinfo=datetime.UTC)
    with mock.patch("django.utils.timezone.now", return_value=late_evening_utc):
        assert campaign.today() == datetime.date(2023, 5, 16)
    with mock.patch("django.utils.timezone.now", return_value=late_evening_utc - datetime.timedelta(hours=2)):
        assert campaign.today() == datetime.date(2023, 5, 15)


def test_notices_for_preparer_and_reviewer(year_tasks, preparer, reviewer):
    (owed,) = campaign.notices(preparer, datetime.date(2023, 5, 16))
    assert (owed.kind, owed.level, owed.days) == (campaign.OWED, "danger", -1)
    assert "3 项自评任务已逾期 1 天" in owed.text
    (waiting,) = campaign.notices(reviewer, datetime.date(2023, 5, 16))
    assert waiting.kind == campaign.WAITING and "1 份自评表等待您审核" in waiting.text and "还剩 15 天" in waiting.text


def test_a_cancelled_task_leaves_the_todo_and_the_board(year_tasks, admin_user, preparer):
    campaign.cancel(admin_user, year_tasks["未开始"], "不再需要")
    assert "未开始" not in [line.task.project.name for line in campaign.todo(preparer, datetime.date(2023, 5, 10))]
    assert campaign.board(admin_user, YEAR, on=datetime.date(2023, 5, 10)).totals.total == 5
    campaign.restore(admin_user, year_tasks["未开始"])
    assert campaign.board(admin_user, YEAR, on=datetime.date(2023, 5, 10)).totals.total == 6


def test_cancelling_needs_a_reason_and_the_runner(year_tasks, admin_user, reviewer):
    with pytest.raises(campaign.CampaignRefused, match="取消原因"):
        campaign.cancel(admin_user, year_tasks["草稿"], "  ")
    with pytest.raises(campaign.CampaignRefused):
        campaign.cancel(reviewer, year_tasks["草稿"], "理由")
    assert EvaluationTask.objects.get(pk=year_tasks["草稿"].pk).is_open


# --- the board ----------------------------------------------------------------------------------------------


def test_the_board_counts_by_hand(year_tasks, admin_user, department, other_department):
    found = campaign.board(admin_user, YEAR, on=datetime.date(2023, 6, 1))
    by_name = {row.name: row for row in found.rows}
    mine = by_name[department.name]
    # 未开始, 草稿, 已提交, 已退回, 已审核 (the cancelled task is not counted).
    assert (mine.cells, mine.total, mine.done_percent, mine.key) == ([1, 1, 1, 1, 1], 5, 20, 0)
    # On 6-1 both deadlines have passed: the three the unit owes and the one waiting for review are late.
    assert mine.overdue == 4
    theirs = by_name[other_department.name]
    assert (theirs.cells, theirs.overdue, theirs.key) == ([1, 0, 0, 0, 0], 1, 1)
    assert (found.totals.total, found.totals.overdue, found.totals.cells) == (6, 5, [2, 1, 1, 1, 1])


def test_the_board_before_the_deadline_has_nobody_late(year_tasks, admin_user):
    assert campaign.board(admin_user, YEAR, on=datetime.date(2023, 5, 15)).totals.overdue == 0
    between = campaign.board(admin_user, YEAR, on=datetime.date(2023, 5, 20))
    assert between.totals.overdue == 4  # the submitted form is not late before the review deadline


def test_the_board_drills_into_units_and_filters(year_tasks, admin_user, department, unit):
    found = campaign.board(admin_user, YEAR, department=department, on=datetime.date(2023, 6, 1))
    assert found.level == "unit" and [row.name for row in found.rows] == [unit.name]
    assert campaign.board(admin_user, YEAR, key_only=True).totals.total == 1
    late = campaign.board(admin_user, YEAR, overdue_only=True, on=datetime.date(2023, 6, 1))
    assert late.totals.total == late.totals.overdue == 5


def test_a_reviewer_board_holds_its_department_only(year_tasks, reviewer, other_department):
    found = campaign.board(reviewer, YEAR, on=datetime.date(2023, 6, 1))
    assert other_department.name not in [row.name for row in found.rows] and found.totals.total == 5


def test_the_board_costs_the_same_queries_at_any_size(year_tasks, admin_user, django_assert_num_queries, department):
    def count():
        with django_assert_num_queries(2) as captured:  # the campaign, the grouped rows
            campaign.board(admin_user, YEAR, on=datetime.date(2023, 6, 1))
        return len(captured)

    small = count()
    for n in range(30):
        TaskFactory(
            project=ProjectFactory(name=f"更多{n}", implementing_unit=year_tasks["草稿"].project.implementing_unit),
            year=YEAR,
        )
    assert count() == small


# --- the pages ------------------------------------------------------------------------------------------------


def test_the_finance_administrator_imports_a_list_on_the_page(client, admin_user):
    client.force_login(admin_user)
    raw = json.dumps(document(task(annual_budget="18"), task(project="第二个"))).encode()
    response = client.post(
        reverse("campaign_import", args=[YEAR]), {"file": SimpleUploadedFile("tasks.json", raw)}, follow=True
    )
    assert "已下达 2 项新任务" in response.content.decode()
    page = client.get(reverse("campaign_tasks", args=[YEAR])).content.decode()
    assert "区域人才服务经费" in page and "第二个" in page


def test_a_refused_list_is_shown_with_its_problems(client, admin_user):
    client.force_login(admin_user)
    raw = json.dumps(document(task(project=""))).encode()
    response = client.post(reverse("campaign_import", args=[YEAR]), {"file": SimpleUploadedFile("t.json", raw)})
    assert response.status_code == 400
    assert "第 1 项任务的“项目名称”：不能为空" in response.content.decode()
    assert not EvaluationTask.objects.exists()


def test_an_excel_list_imports_on_the_page(client, admin_user):
    client.force_login(admin_user)
    upload = SimpleUploadedFile("t.xlsx", xlsx([["", "项目甲", "部门甲", "单位甲", "否", 1, 2]]).getvalue())
    client.post(reverse("campaign_import", args=[YEAR]), {"file": upload})
    assert EvaluationTask.objects.get().annual_budget == D("2")


def test_the_template_downloads(client, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("campaign_template") + "?year=2023")
    assert load_workbook(io.BytesIO(response.content))[tasklist.SHEET]["B1"].value == "项目名称"


def test_deadlines_on_the_page(client, admin_user):
    client.force_login(admin_user)
    url = reverse("campaign_deadlines", args=[YEAR])
    client.post(url, {"submission_deadline": "2023-05-15", "review_deadline": "2023-05-31", "reminder_days": "7，3,1"})
    stored = Campaign.objects.get(year=YEAR)
    assert (stored.submission_deadline, stored.reminder_days) == (datetime.date(2023, 5, 15), [7, 3, 1])
    refused = client.post(url, {"submission_deadline": "2023-05-20", "review_deadline": "2023-05-31"})
    assert refused.status_code == 400 and "请填写调整原因" in refused.content.decode()
    bad = client.post(url, {"submission_deadline": "5/20", "reminder_days": "七"})
    assert "请填写日期" in bad.content.decode() and "不是 1 到 60 之间的天数" in bad.content.decode()


def test_cancel_and_restore_on_the_page(client, admin_user, year_tasks):
    client.force_login(admin_user)
    target = year_tasks["草稿"]
    client.post(reverse("campaign_task_cancel", args=[target.pk]), {"reason": "项目合并"})
    target.refresh_from_db()
    assert (target.status, target.cancel_reason) == (EvaluationTask.Status.CANCELLED, "项目合并")
    listed = client.get(reverse("campaign_tasks", args=[YEAR]) + "?state=cancelled").content.decode()
    assert "项目合并" in listed
    client.post(reverse("campaign_task_restore", args=[target.pk]))
    target.refresh_from_db()
    assert target.is_open and target.cancel_reason == ""


def test_the_preparer_starts_the_form_from_the_todo(client, preparer, project, admin_user):
    TaskFactory(project=project, year=YEAR, initial_budget=D("18"), annual_budget=D("18.5"))
    client.force_login(preparer)
    home = client.get(reverse("dashboard")).content.decode()
    assert "待办自评任务" in home and project.name in home
    response = client.post(reverse("campaign_task_start", args=[EvaluationTask.objects.get().pk]))
    form = SelfAssessment.objects.get(project=project, year=YEAR)
    assert response.url == reverse("assessment_edit", args=[form.pk])
    total = form.funding_lines.get(source="total")
    assert (total.initial_budget, total.annual_budget, total.executed) == (D("18"), D("18.5"), None)
    assert form.created_by == preparer
    home = client.get(reverse("dashboard")).content.decode()
    assert "继续填写" in home


def test_starting_with_last_years_indicators_in_yuan_converts_the_amounts(client, preparer, project):
    last = complete_assessment(project, year=YEAR - 1)
    SelfAssessment.objects.filter(pk=last.pk).update(amount_unit="元")
    TaskFactory(project=project, year=YEAR, annual_budget=D("18.5"))
    client.force_login(preparer)
    client.post(reverse("campaign_task_start", args=[EvaluationTask.objects.get().pk]), {"copy": "1"})
    form = SelfAssessment.objects.get(project=project, year=YEAR)
    assert form.amount_unit == "元" and form.indicators.count() == last.indicators.count()
    assert form.funding_lines.get(source="total").annual_budget == D("185000")


def test_starting_twice_says_the_form_exists(client, preparer, project):
    TaskFactory(project=project, year=YEAR)
    complete_assessment(project, year=YEAR)
    client.force_login(preparer)
    response = client.post(reverse("campaign_task_start", args=[EvaluationTask.objects.get().pk]), follow=True)
    assert "已有 2023 年度的自评表" in response.content.decode()


def test_the_board_page_and_its_workbook(client, admin_user, year_tasks, department):
    client.force_login(admin_user)
    page = client.get(reverse("campaign_board", args=[YEAR])).content.decode()
    assert department.name in page and "合计" in page
    drill = client.get(reverse("campaign_board", args=[YEAR]) + f"?department={department.pk}").content.decode()
    assert "社区党群服务中心（测试）" in drill
    workbook = load_workbook(io.BytesIO(client.get(reverse("campaign_board_xlsx", args=[YEAR])).content))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[1][0] == "主管部门" and rows[-1][0] == "合计" and rows[-1][1] == 6


def test_a_reviewer_sees_its_units_board_and_not_another_department(client, reviewer, year_tasks, other_department):
    client.force_login(reviewer)
    page = client.get(reverse("campaign_board", args=[YEAR])).content.decode()
    assert "社区党群服务中心（测试）" in page and other_department.name not in page
    other = client.get(reverse("campaign_board", args=[YEAR]) + f"?department={other_department.pk}")
    assert other.status_code == 404


def test_a_preparer_sees_only_its_units_tasks(client, preparer, year_tasks):
    client.force_login(preparer)
    page = client.get(reverse("campaign_tasks", args=[YEAR])).content.decode()
    assert "草稿" in page and "外单位" not in page
    assert client.get(reverse("campaign_board", args=[YEAR])).status_code == 403
    assert client.post(reverse("campaign_task_start", args=[year_tasks["外单位"].pk])).status_code == 404


def test_the_task_list_keeps_its_queries_at_any_size(client, admin_user, year_tasks, django_assert_max_num_queries):
    client.force_login(admin_user)
    url = reverse("campaign_tasks", args=[YEAR])
    client.get(url)
    with django_assert_max_num_queries(14) as small:
        client.get(url)
    for n in range(40):
        TaskFactory(project=ProjectFactory(name=f"规模{n}"), year=YEAR)
    with django_assert_max_num_queries(len(small)) as large:
        client.get(url)
    assert len(large) == len(small)


# --- reminders -------------------------------------------------------------------------------------------------


@pytest.fixture
def mailed(year_tasks, preparer, reviewer, settings):
    settings.PERFEVAL_BASE_URL = "https://perfeval.example.gov.cn"
    for user, address in ((preparer, "preparer@example.gov.cn"), (reviewer, "reviewer@example.gov.cn")):
        user.email = address
        user.save()
    return year_tasks


@pytest.mark.parametrize(
    ("on", "preparer_mailed"),
    [("2023-05-07", False), ("2023-05-08", True), ("2023-05-13", False), ("2023-05-14", True), ("2023-05-15", False)],
)
def test_preparers_are_reminded_on_the_reminder_days(mailed, mailoutbox, on, preparer_mailed):
    campaign.send_reminders(datetime.date.fromisoformat(on))
    recipients = [m.to[0] for m in mailoutbox]
    assert ("preparer@example.gov.cn" in recipients) is preparer_mailed
    assert "reviewer@example.gov.cn" in recipients  # a form waits for review every day


def test_overdue_preparers_are_reminded_once_a_day(mailed, mailoutbox):
    first = campaign.send_reminders(datetime.date(2023, 5, 16))
    again = campaign.send_reminders(datetime.date(2023, 5, 16))
    assert (first.mailed, again.mailed, again.skipped) == (2, 0, 2)
    campaign.send_reminders(datetime.date(2023, 5, 17))
    assert len(mailoutbox) == 4
    mail = next(m for m in mailoutbox if m.to == ["preparer@example.gov.cn"])
    assert "已逾期 1 天" in mail.subject
    assert "3 项自评任务已逾期 1 天" in mail.body and "https://perfeval.example.gov.cn/" in mail.body


def test_reminders_are_in_chinese_whatever_the_language(mailed, mailoutbox, settings):
    from django.utils import translation

    with translation.override("en"):
        campaign.send_reminders(datetime.date(2023, 5, 16))
    assert all("自评" in m.subject for m in mailoutbox)


def test_nobody_with_nothing_owed_is_mailed(mailed, mailoutbox, admin_user, outsider):
    admin_user.email = "finance@example.gov.cn"
    admin_user.save()
    campaign.send_reminders(datetime.date(2023, 5, 16))
    assert "finance@example.gov.cn" not in [m.to[0] for m in mailoutbox]


def test_an_inactive_person_or_one_without_address_gets_no_mail(mailed, mailoutbox, preparer, reviewer):
    preparer.is_active = False
    preparer.save()
    reviewer.email = ""
    reviewer.save()
    sent = campaign.send_reminders(datetime.date(2023, 5, 16))
    assert (sent.mailed, sent.skipped, mailoutbox) == (0, 1, [])


def test_the_reminder_command(mailed, mailoutbox):
    from django.core.management import call_command

    out = io.StringIO()
    call_command("send_reminders", "--date", "2023-05-16", stdout=out)
    assert "已发送 2 封提醒邮件" in out.getvalue()
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="2023-05-15"):
        call_command("send_reminders", "--date", "昨天")


# --- the command line ---------------------------------------------------------------------------------------


def test_import_tasks_command(db, tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    good = tmp_path / "tasks.json"
    good.write_text(json.dumps(document(task())), encoding="utf-8")
    out = io.StringIO()
    call_command("import_tasks", str(good), stdout=out)
    assert "新下达 1 项任务" in out.getvalue()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document(task(project=""))), encoding="utf-8")
    with pytest.raises(CommandError, match="第 1 项任务的“项目名称”"):
        call_command("import_tasks", str(bad))
    sheet = tmp_path / "tasks.xlsx"
    sheet.write_bytes(xlsx([["", "项目乙", "部门", "单位", "", "", ""]]).getvalue())
    with pytest.raises(CommandError, match="--year"):
        call_command("import_tasks", str(sheet))
    call_command("import_tasks", str(sheet), "--year", "2023", stdout=io.StringIO())
    assert EvaluationTask.objects.count() == 2
    with pytest.raises(CommandError, match="无法读取"):
        call_command("import_tasks", str(tmp_path / "missing.json"))


def test_campaign_progress_command(year_tasks, department):
    from django.core.management import call_command

    out = io.StringIO()
    call_command("campaign_progress", "--year", "2023", "--json", stdout=out)
    figures = json.loads(out.getvalue())
    assert figures["totals"]["total"] == 6
    mine = next(d for d in figures["departments"] if d["name"] == department.name)
    assert mine["states"] == {"not_started": 1, "draft": 1, "submitted": 1, "returned": 1, "approved": 1}
    assert mine["units"][0]["total"] == 5
    text = io.StringIO()
    call_command("campaign_progress", "--year", "2023", stdout=text)
    assert department.name in text.getvalue() and "合计" in text.getvalue()


def test_a_mail_server_down_reminds_nobody_and_the_next_run_tries_again(mailed, mailoutbox):
    import smtplib

    with mock.patch("django.core.mail.EmailMessage.send", side_effect=smtplib.SMTPServerDisconnected("down")):
        sent = campaign.send_reminders(datetime.date(2023, 5, 16))
    assert (sent.mailed, sent.failed) == (0, 2)
    assert campaign.send_reminders(datetime.date(2023, 5, 16)).mailed == 2


def test_a_list_whose_deadlines_are_reversed_is_refused_whole(admin_user, tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    data = document(task(), submission_deadline="2023-05-31", review_deadline="2023-05-15")
    with pytest.raises(campaign.CampaignRefused, match="不能早于"):
        issue(admin_user, data)
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CommandError, match="不能早于"):
        call_command("import_tasks", str(path))
    assert not EvaluationTask.objects.exists()


def test_a_concurrent_import_of_the_same_unit_is_refused_not_a_crash(admin_user):
    from django.db import IntegrityError

    taken = mock.patch.object(campaign._Plan, "write", side_effect=IntegrityError("unit name taken"))
    with taken, pytest.raises(ImportRefused, match="请重新导入"):
        issue(admin_user, document(task()))
