"""A number typed in the browser, written in a JSON document or in an Excel cell gets the same verdict.

The three entry points once disagreed: "12,34" was refused by the editor and read as 1234 by both imports.
"""

import copy
from decimal import Decimal as D

import pytest
from django import forms as django_forms
from django.utils import translation

from projects import interchange, schema, validation
from projects.editor import fields
from projects.excel import reader
from projects.models import FundingLine, SelfAssessment

from .test_excel import edit, export, upload

TYPED = [
    ("12,34", None, "separator"),
    ("1,5", None, "separator"),
    ("1,234.5", D("1234.5"), None),
    ("１２．５", D("12.5"), None),
    ("-1", None, "min_value"),
    ("1e3", None, "invalid"),
    ("八十", None, "invalid"),
    ("12.34567", None, "max_decimal_places"),
    (" 3 ", D("3"), None),
]


def rule_message(typed: str) -> str:
    with pytest.raises(validation.Invalid) as refused:
        validation.parse_number(typed, schema.AMOUNT)
    return refused.value.message


@pytest.mark.parametrize(("typed", "value", "code"), TYPED)
def test_the_browser_form(typed, value, code):
    field = fields.amount_field("全年预算数")
    if code is None:
        assert field.clean(typed) == value
    else:
        with pytest.raises(django_forms.ValidationError) as refused:
            field.clean(typed)
        assert (refused.value.code, refused.value.messages) == (code, [rule_message(typed)])


@pytest.mark.parametrize(("typed", "value", "code"), TYPED)
def test_the_json_document(demo_document, typed, value, code):
    document = copy.deepcopy(demo_document)
    document["assessments"] = document["assessments"][:1]
    document["assessments"][0]["funding"][0]["annual_budget"] = typed
    if code is None:
        [parsed] = interchange.parse_document(document)
        assert parsed.funding[schema.TOTAL]["annual_budget"] == value
    else:
        with pytest.raises(interchange.ImportRefused) as refused:
            interchange.parse_document(document)
        [problem] = refused.value.problems
        assert problem.endswith("funding[1].annual_budget：" + rule_message(typed))


@pytest.mark.parametrize(("typed", "value", "code"), TYPED)
def test_the_excel_cell(assessment, typed, value, code):
    def change(ws):
        ws["D6"].value = typed  # 年度资金总额, 全年预算数, typed as text

    workbook = edit(export(assessment), change)
    if code is None:
        [sheet] = reader.read_workbook(upload(workbook))
        [saved] = interchange.import_document(sheet.document, replace=True)
        assert saved.funding_lines.get(source=schema.TOTAL).annual_budget == value
    else:
        with pytest.raises(interchange.ImportRefused) as refused:
            reader.read_workbook(upload(workbook))
        [problem] = refused.value.problems
        assert problem == f"表‘区域人才服务经费（测试）’第 6 行 D 列：年度资金总额的全年预算数：{rule_message(typed)}"


def test_an_excel_import_works_with_the_interface_in_english(assessment):
    workbook = export(assessment)
    with translation.override("en"):
        [sheet] = reader.read_workbook(upload(workbook))
        [saved] = interchange.import_document(sheet.document, replace=True)
    assert saved.pk == assessment.pk
    assert SelfAssessment.objects.get(pk=assessment.pk).indicators.filter(level1="output").exists()
    assert FundingLine.objects.filter(assessment=assessment).count() == len(schema.FUNDING_SOURCES)
