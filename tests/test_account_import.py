"""单位与账号 from Excel: the 财政 administrator imports accounts and roles, all or nothing, every problem named."""

import re
from io import BytesIO, StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from projects import accountlist, directory
from projects.interchange import ImportRefused
from projects.models import Membership

from .factories import UserFactory, member

pytestmark = pytest.mark.django_db
User = get_user_model()
HEADINGS = ["单位", "账号", "姓名", "电子邮箱", "角色"]


def workbook(*rows, headings=HEADINGS, title="账号") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    ws.append(headings)
    for row in rows:
        ws.append(list(row))
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def upload(data: bytes, name="账号清单.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/vnd.ms-excel")


@pytest.fixture
def office(client, admin_user):
    """The 财政 administrator's browser."""
    client.force_login(admin_user)
    return client


def post(office, data: bytes):
    return office.post(reverse("directory_accounts_import"), {"file": upload(data)})


def problems(response) -> list[str]:
    assert response.status_code == 400
    page = response.content.decode()
    assert "账号没有导入（一个也没有写入）" in page
    return response.context["problems"]


def nothing_written(before: int) -> None:
    assert User.objects.count() == before


def test_a_good_file_creates_accounts_grants_roles_and_mails_on_commit(
    office, unit, department, preparer, mailoutbox, django_capture_on_commit_callbacks
):
    data = workbook(
        (unit.name, "zhang", "张三", "zhang@example.gov.cn", "填报人"),
        (department.name, "zhang", "", "", "preparer"),  # the second role of a new account: name given once
        (None, None, None, None, None),  # a blank row is skipped
        (department.name, "li", "李四", "Li@Example.gov.cn", "审核人"),
        (unit.name, "preparer", "", "", "填报人"),  # held already: fine, not counted
        (department.name, "preparer", "", "", "审核人"),
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post(office, data)
    assert response.status_code == 302 and response["Location"] == reverse("directory_accounts")
    assert len(callbacks) == 2  # one mail per new account, sent once the import has committed
    page = office.get(reverse("directory_accounts")).content.decode()
    assert "新建 2 个" in page and "已有 1 个" in page and "添加角色 4 个" in page
    zhang = User.objects.get(username="zhang")
    assert zhang.first_name == "张三" and not zhang.has_usable_password() and not zhang.is_staff
    assert set(zhang.memberships.values_list("unit__name", "role")) == {
        (unit.name, "preparer"),
        (department.name, "preparer"),
    }
    assert Membership.objects.filter(user__username="li", unit=department, role="reviewer").exists()
    assert set(preparer.memberships.values_list("role", flat=True)) == {"preparer", "reviewer"}
    assert sorted(m.to[0] for m in mailoutbox) == ["Li@Example.gov.cn", "zhang@example.gov.cn"]
    body = next(m.body for m in mailoutbox if m.to == ["zhang@example.gov.cn"])
    assert "zhang" in body and re.search(r"https?://[^/\s]+/password/\S+/", body)


def test_roles_of_existing_accounts_only_send_no_mail(office, department, preparer, mailoutbox):
    response = post(office, workbook((department.name, "preparer", "", "", "审核人")))
    assert response.status_code == 302 and not mailoutbox
    page = office.get(reverse("directory_accounts")).content.decode()
    assert "新建 0 个，已有 1 个；添加角色 1 个。<" in page  # no word of a mail that was not sent


def test_problems_are_listed_in_the_file_s_order(office, unit):
    found = problems(
        post(
            office,
            workbook(
                (unit.name, "x1", "", "x1@example.gov.cn", "填报人"),
                ("别处", "x2", "乙", "x2@example.gov.cn", "填报人"),
            ),
        )
    )
    assert [p.split("的", 1)[0] for p in found] == ["表“账号”第 2 行", "表“账号”第 3 行"]


def test_an_existing_account_may_be_named_as_it_is_in_any_case_of_its_e_mail(office, department):
    UserFactory(username="wang", first_name="王五", email="wang@example.gov.cn")
    response = post(office, workbook((department.name, "wang", "王五", "WANG@example.gov.cn", "审核人")))
    assert response.status_code == 302
    assert Membership.objects.filter(user__username="wang", role="reviewer").exists()


def test_an_existing_account_is_never_overwritten(office, department, mailoutbox):
    wang = UserFactory(username="wang", first_name="王五", email="wang@example.gov.cn")
    nobody = UserFactory(username="nomail", first_name="赵六", email="")
    before = User.objects.count()
    found = problems(
        post(
            office,
            workbook(
                (department.name, "wang", "王小五", "", "审核人"),
                (department.name, "wang", "", "other@example.gov.cn", "填报人"),
                (department.name, "nomail", "", "zhao@example.gov.cn", "审核人"),
            ),
        )
    )
    assert any(p.startswith("表“账号”第 2 行的“姓名”：") and "王五" in p for p in found)
    assert any(p.startswith("表“账号”第 3 行的“电子邮箱”：") and "wang@example.gov.cn" in p for p in found)
    assert any(p.startswith("表“账号”第 4 行的“电子邮箱”：") and "（未填）" in p for p in found)
    nothing_written(before)
    wang.refresh_from_db()
    nobody.refresh_from_db()
    assert (wang.first_name, wang.email, nobody.email) == ("王五", "wang@example.gov.cn", "")
    assert not Membership.objects.filter(user__in=[wang, nobody]).exists() and not mailoutbox


@pytest.mark.parametrize(
    ("row", "where", "message"),
    [
        (
            ("没有这个单位", "x1", "甲", "x1@example.gov.cn", "填报人"),
            "第 2 行的“单位”",
            "系统中没有单位“没有这个单位”",
        ),
        (("{unit}", "x1", "甲", "not-an-address", "填报人"), "第 2 行的“电子邮箱”", "不是有效的电子邮箱地址"),
        (("{unit}", "bad name!", "甲", "x1@example.gov.cn", "填报人"), "第 2 行的“账号”", ""),
        (("{unit}", "x" * 151, "甲", "x1@example.gov.cn", "填报人"), "第 2 行的“账号”", "最多 150 个字"),
        (("", "x1", "甲", "x1@example.gov.cn", "填报人"), "第 2 行的“单位”", "不能为空"),
        (("{unit}", "", "甲", "x1@example.gov.cn", "填报人"), "第 2 行的“账号”", "不能为空"),
        (("{unit}", "x1", "甲", "x1@example.gov.cn", ""), "第 2 行的“角色”", "不能为空"),
        (("{unit}", "x1", "甲", "x1@example.gov.cn", "局长"), "第 2 行的“角色”", "而不是“局长”"),
        (("{unit}", "x1", "", "x1@example.gov.cn", "填报人"), "第 2 行的“姓名”", "新账号，必须填写姓名"),
        (("{unit}", "x1", "甲", "", "填报人"), "第 2 行的“电子邮箱”", "新账号，必须填写电子邮箱"),
    ],
)
def test_each_bad_row_is_named_and_nothing_is_written(office, unit, mailoutbox, row, where, message):
    before = User.objects.count()
    good = (unit.name, "good", "好人", "good@example.gov.cn", "填报人")
    found = problems(post(office, workbook([unit.name if c == "{unit}" else c for c in row], good)))
    assert len(found) == 1, found
    assert found[0].startswith(f"表“账号”{where}：") and message in found[0]
    nothing_written(before)
    assert not mailoutbox


def test_duplicate_rows_and_two_names_for_one_account_are_refused(office, unit):
    before = User.objects.count()
    found = problems(
        post(
            office,
            workbook(
                (unit.name, "x1", "甲", "x1@example.gov.cn", "填报人"),
                (unit.name, "x1", "", "", "preparer"),
                (unit.name, "x2", "乙", "x2@example.gov.cn", "填报人"),
                (unit.name, "x2", "丙", "x2@example.gov.cn", "审核人"),
            ),
        )
    )
    assert "表“账号”第 3 行：与表“账号”第 2 行重复（同一账号、单位和角色）" in found
    assert any(p.startswith("表“账号”第 5 行的“姓名”：") and "第 4 行" in p for p in found)
    nothing_written(before)


@pytest.mark.parametrize(
    ("unit_name", "role", "message"),
    [
        ("department", "管理员", "“管理员”角色只属于财政单位"),
        ("unit", "审核人", "审核人属于主管部门"),
        ("finance", "填报人", "财政单位不填报自评表"),
    ],
)
def test_a_role_belongs_to_its_kind_of_unit_as_when_granted_one_by_one(request, office, unit_name, role, message):
    target = request.getfixturevalue(unit_name)
    found = problems(post(office, workbook((target.name, "x1", "甲", "x1@example.gov.cn", role))))
    assert len(found) == 1 and found[0].startswith(f"表“账号”第 2 行的“角色”：{message}")
    assert not User.objects.filter(username="x1").exists()


def test_the_administrator_s_own_account_and_system_accounts_are_refused(office, admin_user, department, unit):
    UserFactory(username="root", is_superuser=True, is_staff=True)
    UserFactory(username="staffer", is_staff=True)
    found = problems(
        post(
            office,
            workbook(
                (department.name, admin_user.username, "", "", "审核人"),
                (department.name, "root", "", "", "审核人"),
                (department.name, "staffer", "", "", "审核人"),
                (unit.name, "fresh", "新人", "fresh@example.gov.cn", "填报人"),
            ),
        )
    )
    assert found == [
        "表“账号”第 2 行的“账号”：不能修改自己的账号或角色；请由另一位管理员办理。",
        "表“账号”第 3 行的“账号”：系统管理员账号不在这里管理。",
        "表“账号”第 4 行的“账号”：系统管理员账号不在这里管理。",
    ]
    assert not Membership.objects.filter(unit=department).exists()
    assert not User.objects.filter(username="fresh").exists()


def test_a_file_that_is_not_the_account_list_is_refused_with_a_reason(office):
    assert "没有找到账号表" in problems(post(office, workbook(("a", "b"), headings=["项目", "金额"])))[0]
    assert "不是 Excel 工作簿" in problems(post(office, b"username,role\n"))[0]
    assert problems(post(office, workbook(headings=["账号", "角色"]))) == ["表“账号”缺少“单位”列"]
    assert problems(post(office, workbook())) == ["账号表中没有账号。"]


def test_too_many_rows_are_refused(office, unit, monkeypatch):
    monkeypatch.setattr(accountlist, "MAX_ROWS", 2)
    rows = [(unit.name, f"x{i}", "甲", f"x{i}@example.gov.cn", "填报人") for i in range(3)]
    assert any("一次最多导入 2 行" in p for p in problems(post(office, workbook(*rows))))


def test_only_the_finance_administrator_imports_or_downloads_the_template(client, reviewer, preparer, unit):
    data = workbook((unit.name, "x1", "甲", "x1@example.gov.cn", "填报人"))
    for user in (reviewer, preparer):
        client.force_login(user)
        assert client.post(reverse("directory_accounts_import"), {"file": upload(data)}).status_code == 403
        assert client.get(reverse("directory_accounts_template")).status_code == 403
    assert not User.objects.filter(username="x1").exists()
    with pytest.raises(directory.DirectoryRefused):
        directory.import_accounts(reviewer, accountlist.read_workbook(BytesIO(data)))


def test_the_accounts_page_offers_the_upload_and_the_template(office):
    page = office.get(reverse("directory_accounts")).content.decode()
    assert reverse("directory_accounts_import") in page and reverse("directory_accounts_template") in page
    assert "下载 Excel 模板" in page and 'enctype="multipart/form-data"' in page
    response = office.post(reverse("directory_accounts_import"))
    assert response.status_code == 400 and "请选择要导入的文件" in response.content.decode()


def test_the_template_round_trips_through_the_reader(office, unit, department):
    response = office.get(reverse("directory_accounts_template"))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    wb = load_workbook(BytesIO(response.content))
    assert wb.sheetnames == ["账号", "填写说明"]
    assert [c.value for c in wb["账号"][1]] == [heading for _f, heading, _w in accountlist.COLUMNS]
    ws = wb["账号"]
    ws.append([unit.name, 10023, "工号账号", "n@example.gov.cn", "填报人"])  # a staff number typed as a number
    ws.append([department.name, "li", "李四", "li@example.gov.cn", "reviewer"])
    buffer = BytesIO()
    wb.save(buffer)
    rows = accountlist.read_workbook(BytesIO(buffer.getvalue()), name="filled.xlsx")
    assert [(r.where, r.unit, r.username, r.role) for r in rows] == [
        ("表“账号”第 2 行", unit.name, "10023", "preparer"),
        ("表“账号”第 3 行", department.name, "li", "reviewer"),
    ]
    result = directory.import_accounts(None, rows)
    assert (result.created, result.granted, result.existing) == (2, 2, 0)


def test_the_command_imports_without_mail_and_says_how_to_send_it(tmp_path, unit, department, mailoutbox):
    member(UserFactory(username="old", first_name="老同事"), unit, "preparer")
    path = tmp_path / "账号.xlsx"
    path.write_bytes(
        workbook(
            (unit.name, "new1", "新同事", "new1@example.gov.cn", "填报人"),
            (unit.name, "old", "老同事", "", "填报人"),
            (department.name, "old", "", "", "审核人"),
        )
    )
    out = StringIO()
    call_command("import_users", str(path), stdout=out)
    assert "新建账号 1 个，已有账号 1 个；添加角色 2 个。" in out.getvalue()
    assert "重发设置密码邮件" in out.getvalue() and not mailoutbox
    assert User.objects.get(username="new1").memberships.get().unit == unit


def test_the_command_refuses_a_bad_file_and_lists_its_problems(tmp_path, unit):
    path = tmp_path / "账号.xlsx"
    path.write_bytes(
        workbook(
            (unit.name, "new1", "新同事", "bad-address", "填报人"),
            ("没有这个单位", "new2", "新同事", "n2@example.gov.cn", "填报人"),
        )
    )
    with pytest.raises(CommandError) as refused:
        call_command("import_users", str(path))
    text = str(refused.value)
    assert "未导入任何账号，发现 1 个问题" in text and "第 2 行的“电子邮箱”" in text
    path.write_bytes(workbook(("没有这个单位", "new2", "新同事", "n2@example.gov.cn", "填报人")))
    with pytest.raises(CommandError, match="第 2 行的“单位”"):
        call_command("import_users", str(path))
    with pytest.raises(CommandError, match="无法读取"):
        call_command("import_users", str(tmp_path / "missing.xlsx"))
    assert not User.objects.filter(username__startswith="new").exists()


def test_the_service_refuses_as_a_whole_when_the_reader_passes_but_the_directory_does_not(unit):
    rows = [
        accountlist.AccountRow("第 2 行", unit.name, "a1", "甲", "a1@example.gov.cn", "preparer"),
        accountlist.AccountRow("第 3 行", "别处", "a2", "乙", "a2@example.gov.cn", "preparer"),
    ]
    with pytest.raises(ImportRefused) as refused:
        directory.import_accounts(None, rows)
    assert refused.value.problems == ["第 3 行的“单位”：系统中没有单位“别处”（名称须完全一致），请先在“单位”页面新建"]
    assert not User.objects.filter(username="a1").exists()
