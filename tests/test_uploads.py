"""Imports by a unit's user: the JSON upload page and the Excel import page (all or nothing, every problem
listed, only the user's own units, "replace" only for forms the user could edit)."""

import copy
import io
import json

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects import interchange, uploads
from projects.excel import layout, writer
from projects.models import Project, SelfAssessment, Unit

JSON_URL = reverse("json_upload")
XLSX_URL = reverse("excel_import")


@pytest.fixture
def document(assessment):
    """The interchange document of the cast's form, ready to import elsewhere (as a new project)."""
    data = interchange.export_assessments(SelfAssessment.objects.filter(pk=assessment.pk))
    data["assessments"][0]["project"] = "新导入的项目"
    return data


def json_file(data, name="forms.json", raw=None):
    content = raw if raw is not None else json.dumps(data, ensure_ascii=False).encode()
    return SimpleUploadedFile(name, content, content_type="application/json")


def post(client, url, upload, replace=False):
    return client.post(url, {"file": upload, **({"replace": "on"} if replace else {})})


def problems(response):
    assert response.status_code == 400
    return response.context["problems"]


# --- the JSON page -------------------------------------------------------------------------------------


def test_a_preparer_uploads_a_document_and_sees_what_was_imported(client_for, preparer, document, unit):
    client = client_for(preparer)
    assert client.get(JSON_URL).status_code == 200
    response = post(client, JSON_URL, json_file(document))
    assert response.status_code == 302
    new = SelfAssessment.objects.get(project__name="新导入的项目")
    assert response["Location"] == f"{JSON_URL}?imported={new.pk}"
    assert (new.project.implementing_unit, new.created_by, new.status) == (unit, preparer, "draft")
    page = client.get(response["Location"]).content.decode()
    assert "已导入 1 份自评表" in page and reverse("assessment_edit", args=[new.pk]) in page


def test_the_imported_list_shows_only_forms_the_user_may_see(client_for, outsider, assessment):
    body = client_for(outsider).get(f"{JSON_URL}?imported={assessment.pk}").content.decode()
    assert "已导入" not in body and assessment.project.name not in body


def test_a_bad_document_imports_nothing_and_lists_every_problem(client_for, preparer, document):
    bad = copy.deepcopy(document)
    second = copy.deepcopy(bad["assessments"][0])
    second["project"] = "第二个项目"
    bad["assessments"].append(second)
    bad["assessments"][0]["indicators"][0]["level2"] = "经济效益指标"
    bad["assessments"][1]["funding"][0]["executed"] = "很多"
    bad["assessments"][1]["colour"] = "red"
    response = post(client_for(preparer), JSON_URL, json_file(bad))
    assert problems(response) == [
        "第 1 份（新导入的项目，2023 年度） 第 1 行指标 level2：二级指标“经济效益指标”不属于一级指标“产出指标”（应属于“效益指标”）",
        "第 2 份：未知字段“colour”（格式不认识的字段不会被忽略）",
        "第 2 份（第二个项目，2023 年度） funding[1].executed：“很多”不是数字，请填写数字，如 44.32",
    ]
    assert not Project.objects.filter(name__in=["新导入的项目", "第二个项目"]).exists()
    body = response.content.decode()
    assert "未导入任何内容：发现 3 个问题" in body and "不属于一级指标" in body


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            b"{not json",
            "文件不是有效的 JSON：第 1 行第 2 个字符附近有错误（字段名应写在英文双引号中）。",
        ),
        ("{}".encode("utf-16"), "文件不是 UTF-8 编码的文本，不能作为 JSON 读取。"),
        (b"PK\x03\x04xxxx", "这是 Excel 或其他压缩文件，不是 JSON；Excel 文件请在“Excel 导入”中上传。"),
        (b"[]", "文件：应为一个对象（{…}）"),
    ],
)
def test_a_file_that_is_not_a_json_document_says_so(client_for, preparer, raw, message):
    assert problems(post(client_for(preparer), JSON_URL, json_file(None, raw=raw))) == [message]


def test_a_byte_order_mark_is_accepted(client_for, preparer, document):
    raw = b"\xef\xbb\xbf" + json.dumps(document, ensure_ascii=False).encode()
    assert post(client_for(preparer), JSON_URL, json_file(None, raw=raw)).status_code == 302


def test_no_file_chosen_is_an_error_on_the_field(client_for, preparer):
    response = client_for(preparer).post(JSON_URL, {})
    assert response.status_code == 400
    assert "请选择要导入的文件。" in response.content.decode()


# --- whose forms ---------------------------------------------------------------------------------------


def test_only_preparers_may_import(client_for, reviewer, admin_user, client):
    for user in (reviewer, admin_user):
        assert client_for(user).get(JSON_URL).status_code == 403
        assert client_for(user).get(XLSX_URL).status_code == 403
    client.logout()
    assert client.get(JSON_URL).status_code == 302


def test_another_units_forms_are_refused_without_telling_whether_they_exist(client_for, outsider, document):
    response = post(client_for(outsider), JSON_URL, json_file(document))
    unit = document["assessments"][0]["implementing_unit"]
    assert problems(response) == [f"第 1 份（新导入的项目，2023 年度）：您不是“{unit}”的填报人，不能为它导入自评表"]
    invented = copy.deepcopy(document)
    invented["assessments"][0]["implementing_unit"] = "不存在的单位"
    assert problems(post(client_for(outsider), JSON_URL, json_file(invented))) == [
        "第 1 份（新导入的项目，2023 年度）：您不是“不存在的单位”的填报人，不能为它导入自评表"
    ]
    assert not Unit.objects.filter(name="不存在的单位").exists()


def test_a_misspelt_department_creates_nothing(client_for, preparer, document, department):
    document["assessments"][0]["competent_department"] = "吴泾镇政府"
    assert problems(post(client_for(preparer), JSON_URL, json_file(document))) == [
        f"第 1 份（新导入的项目，2023 年度）：主管部门“吴泾镇政府”与“社区党群服务中心（测试）”的主管部门“{department.name}”不一致，请核对名称"
    ]
    assert not Unit.objects.filter(name="吴泾镇政府").exists()


# --- replacing -----------------------------------------------------------------------------------------


def existing(document, assessment):
    document["assessments"][0]["project"] = assessment.project.name
    document["assessments"][0]["goal_actual"] = "导入后的实际完成情况"
    return document


def test_an_existing_form_is_replaced_only_when_asked(client_for, preparer, document, assessment):
    client = client_for(preparer)
    doc = existing(document, assessment)
    assert "如需覆盖，请选择“替换已有”" in problems(post(client, JSON_URL, json_file(doc)))[0]
    assert post(client, JSON_URL, json_file(doc), replace=True).status_code == 302
    assessment.refresh_from_db()
    assert assessment.goal_actual == "导入后的实际完成情况" and assessment.version == 2


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("submitted", "第 1 份（区域人才服务经费（测试），2023 年度）：该表已提交审核，审核人退回之前不能覆盖"),
        ("approved", "第 1 份（区域人才服务经费（测试），2023 年度）：该表已审核通过并锁定，不能被覆盖"),
    ],
)
def test_a_form_under_review_or_approved_is_never_replaced(client_for, preparer, document, assessment, status, message):
    SelfAssessment.objects.filter(pk=assessment.pk).update(status=status)
    response = post(client_for(preparer), JSON_URL, json_file(existing(document, assessment)), replace=True)
    assert problems(response) == [message]
    assessment.refresh_from_db()
    assert assessment.goal_actual != "导入后的实际完成情况"


def test_a_form_submitted_while_the_upload_is_checked_is_not_replaced(
    client_for, preparer, document, assessment, monkeypatch
):
    # The upload's own checks see a draft; a colleague submits it before the write. The status that counts is
    # the one read under the form's row lock, just before the write.
    own_problems = uploads._own_problems

    def submitted_meanwhile(*args):
        found = own_problems(*args)
        SelfAssessment.objects.filter(pk=assessment.pk).update(status=SelfAssessment.Status.SUBMITTED)
        return found

    monkeypatch.setattr(uploads, "_own_problems", submitted_meanwhile)
    response = post(client_for(preparer), JSON_URL, json_file(existing(document, assessment)), replace=True)
    assert problems(response) == [
        "第 1 份（区域人才服务经费（测试），2023 年度）：该表已提交审核，审核人退回之前不能覆盖"
    ]
    assessment.refresh_from_db()
    assert (assessment.goal_actual, assessment.version) != ("导入后的实际完成情况", 2)


def test_the_status_is_read_under_the_forms_row_lock(client_for, preparer, document, assessment, monkeypatch):
    locked = []
    select_for_update = QuerySet.select_for_update

    def spy(self, *args, **kwargs):
        locked.append(self.model)
        return select_for_update(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "select_for_update", spy)
    client = client_for(preparer)
    with CaptureQueriesContext(connection) as queries:
        assert post(client, JSON_URL, json_file(existing(document, assessment)), replace=True).status_code == 302
    assert SelfAssessment in locked
    if connection.features.has_select_for_update:  # PostgreSQL: the lock is in the SQL (SQLite has none)
        assert any("FOR UPDATE" in q["sql"] and "projects_selfassessment" in q["sql"] for q in queries)


# --- hostile uploads: a message, never a server error (more in test_import_fuzz) -------------------------


def test_more_forms_than_an_upload_may_hold_are_refused(client_for, preparer, document):
    document["assessments"] *= interchange.UPLOAD.max_forms + 1
    assert problems(post(client_for(preparer), JSON_URL, json_file(document))) == [
        f"文件：文件中有 {interchange.UPLOAD.max_forms + 1} 份自评表，一次最多导入 {interchange.UPLOAD.max_forms} 份，"
        "请分成几个文件导入"
    ]


def test_a_lone_surrogate_is_named_and_the_page_still_renders(client_for, preparer, document):
    document["assessments"][0]["indicators"][0]["weight"] = "2\ud800"
    document["assessments"][0]["goal_actual"] = "完成\x00任务"
    raw = json.dumps(document, ensure_ascii=True).encode()  # written as \\ud800 and \\u0000, as a file has them
    response = post(client_for(preparer), JSON_URL, json_file(None, raw=raw))
    assert problems(response) == [
        "第 1 份（新导入的项目，2023 年度） goal_actual：含有无法保存的控制字符或残缺的字符编码，请删除后再导入",
        "第 1 份（新导入的项目，2023 年度） 第 1 行指标 weight：“2\ufffd”不是数字，请填写数字，如 44.32",
    ]
    assert "“2\ufffd”不是数字" in response.content.decode("utf-8")


# --- the Excel page ------------------------------------------------------------------------------------


def workbook(assessment, change=None) -> SimpleUploadedFile:
    data = writer.export_workbook(writer.prepared(SelfAssessment.objects.filter(pk=assessment.pk)))
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    ws["C3"] = "表格导入的项目"
    if change:
        change(ws)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("自评表.xlsx", out.getvalue(), content_type=layout.CONTENT_TYPE)


def test_a_preparer_imports_a_workbook(client_for, preparer, assessment):
    client = client_for(preparer)
    page = client.get(XLSX_URL).content.decode()
    assert reverse("excel_template") in page and reverse("json_upload") in page
    response = post(client, XLSX_URL, workbook(assessment))
    assert response.status_code == 302
    new = SelfAssessment.objects.get(project__name="表格导入的项目")
    assert new.indicators.count() == 6 and new.funding_lines.get(source="total").annual_budget == 100


def test_workbook_problems_name_sheet_row_and_column_and_nothing_is_imported(client_for, preparer, assessment):
    def change(ws):
        ws["H13"] = "满分"
        ws["C17"] = "质量指标"

    response = post(client_for(preparer), XLSX_URL, workbook(assessment, change))
    assert problems(response) == [
        "表‘区域人才服务经费（测试）’第 13 行 H 列：得分：“满分”不是数字，请填写数字，如 44.32",
        "表‘区域人才服务经费（测试）’第 17 行 C 列：二级指标“质量指标”不属于一级指标“效益指标”（应属于“产出指标”）",
    ]
    assert not Project.objects.filter(name="表格导入的项目").exists()


def test_workbook_problems_found_by_the_interchange_rules_name_the_sheet(client_for, outsider, assessment):
    response = post(client_for(outsider), XLSX_URL, workbook(assessment))
    assert problems(response) == [
        "表‘区域人才服务经费（测试）’：您不是“社区党群服务中心（测试）”的填报人，不能为它导入自评表"
    ]


def test_one_refused_sheet_keeps_the_other_sheets_out_too(client_for, preparer, assessment):
    upload = workbook(assessment)
    wb = openpyxl.load_workbook(upload)
    wb.copy_worksheet(wb.worksheets[0]).title = "已有的表"
    wb["已有的表"]["C3"] = assessment.project.name  # exists already, and "replace" is not ticked
    out = io.BytesIO()
    wb.save(out)
    response = post(client_for(preparer), XLSX_URL, SimpleUploadedFile("两张表.xlsx", out.getvalue()))
    assert problems(response) == ["表‘已有的表’：系统中已有该项目该年度的自评表；如需覆盖，请选择“替换已有”"]
    assert not Project.objects.filter(name="表格导入的项目").exists()


def test_a_file_that_is_not_a_workbook_is_refused_on_the_excel_page(client_for, preparer):
    upload = SimpleUploadedFile("自评表.xlsx", b"%PDF-1.4 ...", content_type=layout.CONTENT_TYPE)
    assert problems(post(client_for(preparer), XLSX_URL, upload))[0].startswith("文件不是 Excel 工作簿（.xlsx）")


def test_the_template_is_prefilled_for_a_preparer_of_one_unit(client_for, preparer, unit, department):
    response = client_for(preparer).get(reverse("excel_template"))
    assert response.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(response.content))["自评表"]
    assert (ws["C4"].value, ws["G4"].value) == (department.name, unit.name)
    assert ws["A2"].value == f"（{writer.default_template_year()} 年度）"
