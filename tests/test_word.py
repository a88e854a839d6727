"""The official table as a Word document: the same grid and figures as the PDF, notes only in the review copy."""

import io

from django.urls import reverse
from docx import Document

from .factories import complete_assessment


def document_of(response):
    assert response.status_code == 200
    assert response["Content-Type"].endswith("wordprocessingml.document")
    assert response["Cache-Control"] == "private, no-store"
    return Document(io.BytesIO(response.content))


def cells(document) -> list[list[str]]:
    [table] = document.tables
    return [[cell.text for cell in row.cells] for row in table.rows]


def paragraphs(document) -> str:
    return "\n".join(p.text for p in document.paragraphs)


def test_the_word_table_has_the_official_grid_and_the_figures_as_entered(client_for, preparer, project):
    a = complete_assessment(project, budget="44.32", executed="20.33", funding_score="8")
    document = document_of(client_for(preparer).get(reverse("assessment_docx", args=[a.pk])))
    rows = cells(document)
    assert all(len(row) == 10 for row in rows)  # the ten columns of the printed form
    assert rows[0][0] == "项目名称" and rows[0][2] == a.project.name
    assert rows[1][5] == "实施单位" and rows[1][6] == a.project.implementing_unit.name
    total = next(row for row in rows if row[1] == "年度资金总额")
    assert total[3:6] == ["44.32", "44.32", "20.33"] and total[7] == "45.87%" and total[9] == "8注1"
    names = [row[3] for row in rows]
    assert "培训人次" in names and "服务对象满意度" in names
    assert rows[-1][0] == "总分"
    text = paragraphs(document)
    assert "财政项目支出绩效自评表" in text and "（2023 年度）" in text and "草稿" in text
    assert "核对说明" in text and "注1：" in text


def test_the_public_word_copy_has_no_notes(client_for, preparer, project):
    a = complete_assessment(project, budget="44.32", executed="20.33", funding_score="8")
    response = client_for(preparer).get(reverse("assessment_docx", args=[a.pk]) + "?copy=public")
    document = document_of(response)
    total = next(row for row in cells(document) if row[1] == "年度资金总额")
    assert total[9] == "8"
    assert "核对说明" not in paragraphs(document)


def test_the_word_copy_is_chinese_whatever_the_interface_language(client_for, preparer, assessment):
    client = client_for(preparer)
    client.cookies["django_language"] = "en"
    document = document_of(client.get(reverse("assessment_docx", args=[assessment.pk])))
    assert cells(document)[0][0] == "项目名称"


def test_characters_word_cannot_hold_are_left_out(client_for, preparer, project):
    a = complete_assessment(project)
    a.indicators.filter(position=1).update(deviation="延期\x0b一周\x1b。")
    document = document_of(client_for(preparer).get(reverse("assessment_docx", args=[a.pk])))
    assert any("延期一周。" in row for row in cells(document))
