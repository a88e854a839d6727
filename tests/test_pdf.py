"""The official form as a PDF (projects.printing, projects.official_sheet): what it prints, how it pages, what it may fetch, how it looks."""

import io
import os
import re
import subprocess
from datetime import UTC, datetime
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pdfplumber
import pytest
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation
from pypdf import PdfReader

from projects import interchange, official_sheet
from projects.evaluation import evaluate_assessment, rules_for_year
from projects.models import FundingLine, Indicator, SelfAssessment
from projects.printing import fetcher, fonts, render
from projects.templatetags.official_form import figure

from .factories import AssessmentFactory, complete_assessment

REFERENCE = Path(__file__).resolve().parent / "reference" / "seed_official_form.png"
D = Decimal


# --- helpers shared by the PDF tests ---------------------------------------------------------------------


def import_seeds(document, names=None):
    """The published 2022 forms (projects/demo/forms_2022.json), all or those named, as stored forms."""
    if names is not None:
        document = {**document, "assessments": [a for a in document["assessments"] if a["project"] in names]}
    return interchange.import_document(document)


def seed(document, name):
    return import_seeds(document, [name])[0]


def pages_text(content: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages]


def squeeze(text: str) -> str:
    """Text without any whitespace: a cell's text may wrap anywhere in the PDF."""
    return re.sub(r"\s+", "", text)


def sheet_of(assessment):
    funding = list(assessment.funding_lines.all())
    indicators = list(assessment.indicators.order_by("position", "id"))
    return official_sheet.build_sheet(
        assessment, funding, indicators, evaluate_assessment(assessment, rules_for_year(2023))
    )


def approve(assessment, when=datetime(2023, 3, 1, 2, 0, tzinfo=UTC)):
    SelfAssessment.objects.filter(pk=assessment.pk).update(status="approved", approved_at=when)
    assessment.refresh_from_db()
    return assessment


def long_assessment(project, rows=60):
    """A form far beyond one page: many indicators with long texts, uniquely named to find them."""
    assessment = complete_assessment(project, goal_expected="预期目标很长。" * 80, goal_actual="完成情况很长。" * 80)
    assessment.indicators.all().delete()
    for i in range(rows):
        Indicator.objects.create(
            assessment=assessment,
            position=i + 1,
            level1="output",
            level2=("quantity", "quality")[i // 30],
            name=f"长表指标第{i + 1:02d}项" + "（说明文字）" * 3,
            target="完成率 100%",
            actual="完成率 100%",
            weight=D(1),
            score=D(1),
            deviation="",
        )
    return assessment


def all_figures(sheet):
    """Every figure of the number cells of a sheet."""
    figures = [
        f for r in sheet.funding for f in (r.initial_budget, r.annual_budget, r.executed, r.weight, r.rate, r.score)
    ]
    return figures + [f for r in sheet.indicators for f in (r.weight, r.score)] + [sheet.weights_total, sheet.total]


def first_hit(page, text):
    """The top-most place where `text` is printed on a pdfplumber page (its bounding box)."""
    hits = page.search(text, regex=False)
    assert hits, f"{text!r} is not on the page"
    return min(hits, key=lambda hit: (hit["top"], hit["x0"]))


def cell_at(page, x, y):
    """The box of the ruled cell around a point, from the rules WeasyPrint draws: the nearest rules to the left,
    right, above and below (a cell left open at a page break ends where its side rules end)."""
    v = [e for e in page.edges if e["orientation"] == "v" and e["top"] - 1 <= y <= e["bottom"] + 1]
    h = [e for e in page.edges if e["orientation"] == "h" and e["x0"] - 1 <= x <= e["x1"] + 1]
    left = max((e for e in v if e["x0"] <= x), key=lambda e: e["x0"])
    right = min((e for e in v if e["x0"] >= x), key=lambda e: e["x0"])
    top = max(e["top"] for e in h if e["top"] <= y)
    below = [e["top"] for e in h if e["top"] >= y]
    bottom = min(below) if below else min(left["bottom"], right["bottom"])
    return left["x0"], top, right["x0"], bottom


AMOUNT_COLUMNS = ("年初预算数", "全年预算数", "全年执行数")


def amounts_not_inside_their_cells(content: bytes, rows: dict, air=1.0) -> list:
    """The amounts of `rows` ({row label: (年初预算数, 全年预算数, 全年执行数) as printed}) whose characters are not
    all inside their own cell, `air` pt clear of its side rules: the text made of the characters wholly inside
    that box must be the whole amount (an amount printed over a rule or a neighbour loses characters)."""
    with pdfplumber.open(io.BytesIO(content)) as document:
        page = document.pages[0]
        wrong = []
        for label, amounts in rows.items():
            row = first_hit(page, label)
            for column, amount in zip(AMOUNT_COLUMNS, amounts, strict=True):
                head = first_hit(page, column)
                x0, top, x1, bottom = cell_at(page, (head["x0"] + head["x1"]) / 2, (row["top"] + row["bottom"]) / 2)
                inside = squeeze(page.within_bbox((x0 + air, top, x1 - air, bottom)).extract_text())
                if inside != amount:
                    wrong.append((label, column, amount, inside))
        return wrong


# --- what the official table prints ---------------------------------------------------------------------


def test_cells_print_what_the_unit_declared_and_notes_state_the_computed_figures(db, demo_document):
    # 社区党校 printed 执行率 45% although 0.48 / 1.5 = 32 %; its 得分 5 and 总分 94 follow from that.
    sheet = sheet_of(seed(demo_document, "社区党校"))
    total_row = sheet.funding[0]
    assert total_row.rate.text == "45%" and total_row.rate.note == 1
    assert total_row.score.text == "5" and total_row.score.note == 2
    assert sheet.total.text == "94" and sheet.total.note == 3
    assert "32.00%" in sheet.notes[0] and "45%" in sheet.notes[0]
    assert "3" in sheet.notes[1] and "5" in sheet.notes[1]
    assert "94" in sheet.notes[2] and "92" in sheet.notes[2]
    # Nothing was changed on the form itself.
    assert FundingLine.objects.get(assessment__project__name="社区党校", source="total").score == D(5)


def test_a_form_without_a_printed_rate_prints_the_computed_one_and_no_notes(assessment):
    sheet = sheet_of(assessment)
    assert sheet.funding[0].rate == official_sheet.Figure("100%")
    assert sheet.funding[0].score == official_sheet.Figure("10")
    assert sheet.total == official_sheet.Figure("100")
    assert sheet.weights_total == official_sheet.Figure("100")
    assert sheet.notes == []


def test_sub_rows_print_their_own_rate_and_dashes_for_weight_and_score(assessment):
    current, carryover = sheet_of(assessment).funding[1:3]
    assert (current.label, current.rate.text, current.weight.text, current.score.text) == (
        "其中：当年财政拨款",
        "100%",
        "—",
        "—",
    )
    assert (carryover.annual_budget.text, carryover.rate.text) == ("", "")


def test_total_note_when_the_entered_funding_score_is_not_the_computed_one(assessment):
    FundingLine.objects.filter(assessment=assessment, source="total").update(executed=D(50))
    FundingLine.objects.filter(assessment=assessment, source="current_appropriation").update(executed=D(50))
    sheet = sheet_of(assessment)  # 50 % executed: 5 points, the unit entered 10
    assert sheet.funding[0].score == official_sheet.Figure("10", 1)
    assert (sheet.total.text, sheet.total.note) == ("100", 2)
    assert "95" in sheet.notes[1]


def test_a_finding_is_noted_at_its_printed_cell_when_it_compares_entered_with_computed(assessment):
    import dataclasses

    from projects import schema, scoring

    funding = list(assessment.funding_lines.all())
    indicators = list(assessment.indicators.order_by("position", "id"))
    evaluation = evaluate_assessment(assessment, rules_for_year(2023))
    compared = scoring.Check("any_new_rule", "warning", "按新规则计算的总分为 90", schema.TOTAL_SCORE, computed=True)
    plausibility = scoring.Check("another_rule", "warning", "总分偏高，请核实", schema.TOTAL_SCORE)
    evaluation = dataclasses.replace(evaluation, checks=[*evaluation.checks, plausibility, compared])
    sheet = official_sheet.build_sheet(assessment, funding, indicators, evaluation)
    assert sheet.notes == ["按新规则计算的总分为 90"]
    assert sheet.total.note == 1


def test_level1_and_level2_cells_merge_over_their_rows_in_source_order(assessment):
    Indicator.objects.create(
        assessment=assessment,
        position=2,
        level1="output",
        level2="quality",
        name="第二个质量指标",
        target="1",
        actual="1",
        weight=D(0),
        score=D(0),
    )
    rows = sheet_of(assessment).indicators
    assert [(r.level1.text, r.level1.rows) if r.level1 else None for r in rows] == [
        ("产出指标", 5),
        None,
        None,
        None,
        None,
        ("效益指标", 1),
        ("满意度指标", 1),
    ]
    assert [(r.level2.text, r.level2.rows) if r.level2 else None for r in rows][:5] == [
        ("数量指标", 1),
        ("质量指标", 2),
        None,
        ("时效指标", 1),
        ("成本指标", 1),
    ]


def test_the_mark_follows_the_status(assessment):
    assert official_sheet.mark_for(assessment) == "草稿"
    assessment.status = "submitted"
    assert official_sheet.mark_for(assessment) == "未审核"
    assessment.status = "returned"
    assert official_sheet.mark_for(assessment) == "草稿"
    assessment.status = "approved"
    assert official_sheet.mark_for(assessment) == ""


def test_ordinary_figures_print_as_they_are_and_long_ones_smaller_or_broken(db, demo_document):
    for form in import_seeds(demo_document):  # every seed figure keeps the table's size, on one line
        assert [f for f in all_figures(sheet_of(form)) if f.fit or f.break_at] == [], form.project.name
    assert official_sheet.fit_figure("44.32", official_sheet.ROOM_BUDGET) == official_sheet.Figure("44.32")
    assert official_sheet.fit_figure("123456789", official_sheet.ROOM_BUDGET) == official_sheet.Figure(
        "123456789"
    )  # 9 digits: as they are
    smaller = official_sheet.fit_figure("999999999999.99", official_sheet.ROOM_BUDGET)
    assert smaller.fit.startswith("num-s") and not smaller.break_at  # smaller, on one line
    widest = official_sheet.fit_figure(
        "99999999999999.9999", official_sheet.ROOM_BUDGET
    )  # 14 integer digits, 4 decimals
    assert widest.fit.startswith("num-s") and widest.break_at == 14  # broken before the decimal point
    # A 注N mark that does not fit beside a figure goes under it; the figure keeps its size.
    assert official_sheet.fit_figure("94", official_sheet.ROOM_NARROW, 3) == official_sheet.Figure("94", 3)
    assert official_sheet.fit_figure("100", official_sheet.ROOM_NARROW, 2) == official_sheet.Figure("100", 2, "", 3)
    assert (
        "num-wrap" in official_sheet.fit_figure("百分之四十五点八七", official_sheet.ROOM_NARROW).fit
    )  # no safe break: wraps


def test_a_figure_prints_escaped_with_its_break_and_its_mark():
    assert figure(official_sheet.Figure("<b>1", 2)) == '&lt;b&gt;1<sup class="official-note-mark">注2</sup>'
    assert figure(official_sheet.Figure("12.5", None, "num-s1", 2)) == '<span class="num-line">12</span>.5'
    mark_under = figure(official_sheet.Figure("100", 2, "", 3))
    assert mark_under == '<span class="num-line">100</span><sup class="official-note-mark">注2</sup>'


def test_the_grid_in_mm_is_the_grid_of_the_stylesheet():
    css = Path(finders.find("pdf/official_table.css")).read_text()
    percents = [float(p) for p in re.findall(r"\.oc-[\w-]+ \{ width: ([\d.]+)%; \}", css)]
    assert [p * 180 / 100 for p in percents] == pytest.approx(official_sheet.GRID_MM, abs=0.05)


# --- the PDF ----------------------------------------------------------------------------------------------


def test_the_pdf_text_holds_every_field_of_the_form(db, demo_document):
    assessment = seed(demo_document, "综合党委经费")
    text = squeeze("".join(pages_text(render.render_assessment(assessment))))
    project = assessment.project
    for value in (
        "财政项目支出绩效自评表",
        "（2022年度）",
        project.name,
        project.competent_department.name,
        project.implementing_unit.name,
        "项目资金（万元）",
        "年初预算数",
        "全年预算数",
        "全年执行数",
        "分值",
        "执行率",
        "得分",
        "年度资金总额",
        "其中：当年财政拨款",
        "上年结转资金",
        "其他资金",
        "44.32",
        "20.33",
        "48%",
        "年度总体目标",
        "预期目标",
        "实际完成情况",
        "绩效指标",
        "一级指标",
        "二级指标",
        "三级指标",
        "年度指标值",
        "实际完成值",
        "偏差原因分析及改进措施",
        "总分",
        "93",
        "45.87%",
    ):
        assert squeeze(value) in text, value
    assert squeeze(assessment.goal_expected) in text
    assert squeeze(assessment.goal_actual) in text
    for row in assessment.indicators.all():
        for value in (
            row.get_level1_display(),
            row.get_level2_display(),
            row.name,
            row.target,
            row.actual,
            row.deviation,
        ):
            assert squeeze(value) in text, value


def test_an_ordinary_form_fits_one_a4_page(db, demo_document, project):
    for assessment in import_seeds(demo_document):
        reader = PdfReader(io.BytesIO(render.render_assessment(assessment)))
        assert len(reader.pages) == 1, assessment.project.name
        box = reader.pages[0].mediabox
        assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 portrait in points
    # About 15 indicators and goal texts of a few hundred characters still fit.
    busy = complete_assessment(project, goal_expected="按计划完成年度工作任务，" * 25, goal_actual="已完成。" * 60)
    for i in range(9):
        Indicator.objects.create(
            assessment=busy,
            position=10 + i,
            level1="benefit",
            level2="social",
            name=f"社会效益指标{i}",
            target="完成率 100%",
            actual="完成率 95%",
            weight=D(0),
            score=D(0),
            deviation="进一步加强管理。" * 2,
        )
    assert busy.indicators.count() == 15
    assert len(pages_text(render.render_assessment(busy))) == 1


def test_a_long_form_flows_with_the_header_repeated_and_no_row_cut(db, project):
    texts = pages_text(render.render_assessment(long_assessment(project)))
    assert len(texts) >= 3
    for number, text in enumerate(texts, start=1):
        assert "一级指标" in text, f"page {number} lacks the indicator header"
        assert f"第 {number} 页" in text or f"第{number}页" in squeeze(text)
    for i in range(1, 61):
        name = squeeze(f"长表指标第{i:02d}项" + "（说明文字）" * 3)
        # A row is never split: its whole text is on exactly one page.
        assert sum(name in squeeze(text) for text in texts) == 1, name


def test_fourteen_digit_amounts_print_inside_their_cells(db, project):
    form = complete_assessment(project, budget="999999999999.99", executed="888888888888.88", amount_unit="元")
    # 14 integer digits (15 significant: all that SQLite keeps), and 9-digit 元 amounts with decimals.
    FundingLine.objects.filter(assessment=form, source="carryover").update(
        initial_budget=D("99999999999999.9"), annual_budget=D("12345678901234.5"), executed=D("88888888888888")
    )
    FundingLine.objects.filter(assessment=form, source="other").update(
        initial_budget=D("123456789.12"), annual_budget=D("999999999.99"), executed=D("987654321.5")
    )
    rows = {
        str(line.get_source_display()): tuple(
            official_sheet._as_written(getattr(line, name)) for name in ("initial_budget", "annual_budget", "executed")
        )
        for line in form.funding_lines.all()
    }
    assert rows["年度资金总额"] == ("999999999999.99", "999999999999.99", "888888888888.88")
    assert rows["上年结转资金"] == ("99999999999999.9", "12345678901234.5", "88888888888888")
    assert amounts_not_inside_their_cells(render.render_assessment(form), rows) == []


def test_the_widest_amounts_the_fields_hold_print_inside_their_cells(assessment):
    # max_digits=18, decimal_places=4: what PostgreSQL keeps (SQLite cannot), so the rows are built in memory.
    widest, other = D("99999999999999.9999"), D("88888888888888.8888")
    lines = [
        FundingLine(assessment=assessment, source=source, initial_budget=widest, annual_budget=widest, executed=other)
        for source in FundingLine.Source.values
    ]
    indicators = list(assessment.indicators.all())
    evaluation = evaluate_assessment(assessment, rules_for_year(2023), funding_lines=lines, indicators=indicators)
    with translation.override(render.PDF_LANGUAGE):
        content = render.html_to_pdf(
            render.document_html([official_sheet.build_sheet(assessment, lines, indicators, evaluation)])
        )
    rows = {str(label): (str(widest), str(widest), str(other)) for label in FundingLine.Source.labels}
    assert amounts_not_inside_their_cells(content, rows) == []


@pytest.mark.parametrize(("sentences", "page"), [(125, 1), (500, 0)])
def test_the_goals_header_stays_with_the_start_of_its_text(db, project, sentences, page):
    # 125 sentences: more than is left on page 1 but less than a page, so the block goes to page 2 whole;
    # 500: more than a page, so it cannot: it starts on page 1, the header with the first lines of its texts.
    form = complete_assessment(
        project,
        goal_expected="开篇预期：" + "按计划推进各项工作。" * sentences,
        goal_actual="开篇完成：" + "已完成各项工作任务。" * sentences,
    )
    assert sheet_of(form).goals_flow == (page == 0)
    content = render.render_assessment(form)
    texts = [squeeze(text) for text in pages_text(content)]
    assert "年度资金总额" in texts[0]
    assert [number for number, text in enumerate(texts) if "预期目标" in text and "实际完成情况" in text] == [page]
    assert [number for number, text in enumerate(texts) if "开篇预期" in text and "开篇完成" in text] == [page]
    with pdfplumber.open(io.BytesIO(content)) as document:
        sheet = document.pages[page]
        label = first_hit(sheet, "年度总体")
        cell = cell_at(sheet, (label["x0"] + label["x1"]) / 2, (label["top"] + label["bottom"]) / 2)
        assert squeeze(sheet.within_bbox(cell).extract_text()) == "年度总体目标"  # the merged label, whole, in its cell
        if page:  # page 1 still closes its table with a rule under 其他资金
            first = document.pages[0]
            other = first_hit(first, "其他资金")
            assert any(line["top"] > other["bottom"] and abs(line["top"] - line["bottom"]) < 1 for line in first.lines)


def test_only_goals_longer_than_a_page_flow(db, demo_document):
    for form in import_seeds(demo_document):
        assert not sheet_of(form).goals_flow, form.project.name
    assert not official_sheet.goals_too_long_for_a_page("按计划推进各项工作。" * 125, "")
    assert official_sheet.goals_too_long_for_a_page("", "已完成各项工作任务。" * 150)
    assert official_sheet.goals_too_long_for_a_page("一、\n" * 60, "")  # every line break of the text counts


def test_drafts_and_submitted_forms_carry_a_mark_and_approved_ones_the_approval_date(assessment):
    assert "草稿" in pages_text(render.render_assessment(assessment))[0]
    SelfAssessment.objects.filter(pk=assessment.pk).update(status="submitted")
    assessment.refresh_from_db()
    assert "未审核" in pages_text(render.render_assessment(assessment))[0]
    text = pages_text(render.render_assessment(approve(assessment)))[0]
    assert "草稿" not in text and "未审核" not in text
    assert "审核通过日期：2023年3月1日" in squeeze(text)  # 02:00 UTC is 10:00 in Asia/Shanghai


def test_the_pdf_has_a_title_and_metadata_and_real_text(assessment):
    reader = PdfReader(io.BytesIO(render.render_assessment(assessment)))
    meta = reader.metadata
    assert meta.title == f"财政项目支出绩效自评表 · {assessment.project.name}（2023 年度）"
    assert meta.author == assessment.project.implementing_unit.name
    assert meta.creator == "perfeval"
    fonts = {font["/BaseFont"] for font in _fonts(reader)}
    assert fonts and all("+" in name for name in fonts)  # embedded subsets, not pictures of text
    assert [item.title for item in reader.outline] == [f"{assessment.project.name}（2023）"]


def _fonts(reader):
    for page in reader.pages:
        yield from (f.get_object() for f in page["/Resources"]["/Font"].values())


def test_the_pdf_is_chinese_whatever_the_interface_language(assessment, settings):
    from django.utils import translation

    with translation.override("en"):
        text = squeeze(pages_text(render.render_assessment(assessment))[0])
    assert "财政项目支出绩效自评表" in text and "年度资金总额" in text


def test_queries_do_not_grow_with_the_indicators(db, project, django_assert_num_queries):
    small = complete_assessment(project)
    big = long_assessment(AssessmentFactory(year=2021).project, rows=40)
    with django_assert_num_queries(4) as small_queries:
        render.render_assessment(small)
    with django_assert_num_queries(4):
        render.render_assessment(big)
    assert "projects_indicator" in " ".join(q["sql"] for q in small_queries.captured_queries)


def test_harfbuzz_subsets_the_fonts():
    # Without libharfbuzz-subset0 WeasyPrint falls back to fontTools: seconds per CJK form.
    assert render.harfbuzz_subset_available()


def test_the_configured_font_family_is_used(assessment, settings):
    settings.PERFEVAL_PDF_FONT_FAMILY = '"Noto Sans CJK SC"'
    render.reset_renderer()
    try:
        reader = PdfReader(io.BytesIO(render.render_assessment(assessment)))
        assert fonts.configured_families() == ["Noto Sans CJK SC"]
        assert render.renderer().fonts  # the sans face was pre-subset too
        assert squeeze(reader.pages[0].extract_text()).startswith("财政项目支出绩效自评表")
    finally:
        settings.PERFEVAL_PDF_FONT_FAMILY = '"Noto Serif CJK SC", "Noto Serif CJK"'
        render.reset_renderer()


@pytest.mark.parametrize("value", ['"Noto"; } body { display: none', "url(file:///etc/passwd)", ""])
def test_a_font_family_setting_that_is_not_a_family_list_is_refused(settings, value):
    settings.PERFEVAL_PDF_FONT_FAMILY = value
    with pytest.raises(ValueError, match="PERFEVAL_PDF_FONT_FAMILY"):
        fonts.configured_families()


# --- safety: the renderer reads nothing but our own static files -----------------------------------------

HOSTILE = (
    '<img src="file:///etc/passwd"><link rel="stylesheet" href="file:///etc/passwd">'
    '<style>@import url("http://127.0.0.1:9/x.css"); body { background: url(file:///etc/shadow) }</style>'
    '<object data="file:///etc/hostname"></object><a href="javascript:alert(1)">x</a> ../../etc/passwd'
)


@pytest.fixture
def no_reads(monkeypatch):
    """Fails the test if WeasyPrint's own fetching (files, network, data:) is ever reached."""
    from urllib import request

    def refuse(*args, **kwargs):
        raise AssertionError(f"the renderer tried to fetch {args[1:]!r}")

    monkeypatch.setattr(request.OpenerDirector, "open", refuse)
    render.renderer()  # prepared beforehand: it fetches our own pre-subset fonts once per process
    seen = []
    resolve = fetcher.resolve_static_url

    def spy(url):
        seen.append(url)
        return resolve(url)

    monkeypatch.setattr(fetcher, "resolve_static_url", spy)
    return seen


def test_form_text_is_printed_as_text_and_makes_the_renderer_fetch_nothing(assessment, no_reads):
    SelfAssessment.objects.filter(pk=assessment.pk).update(
        goal_expected=HOSTILE, goal_actual="https://example.com/x.png"
    )
    Indicator.objects.filter(assessment=assessment, position=1).update(name='<img src="/etc/passwd">')
    assessment.refresh_from_db()
    text = squeeze(pages_text(render.render_assessment(assessment))[0])
    assert squeeze('<img src="file:///etc/passwd">') in text  # escaped: shown, not obeyed
    assert squeeze('<img src="/etc/passwd">') in text
    assert "root:" not in text
    assert no_reads == []  # nothing was even asked for


def test_even_markup_reaching_the_renderer_cannot_read_a_file_or_an_address(db, no_reads):
    content = render.html_to_pdf(f"<html><body><p>安全</p>{HOSTILE}<img src='/static/pdf/print.css'></body></html>")
    text = "".join(pages_text(content))
    assert "安全" in text and "root:" not in text
    assert no_reads  # every resource went through the restricted fetcher, which refused or served static


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://example.com/x.png",
        "https://example.com/static/pdf/print.css",
        "https://perfeval.invalid/etc/passwd",
        "https://perfeval.invalid/static/../../../etc/passwd",
        "https://perfeval.invalid/static/%2e%2e/%2e%2e/etc/passwd",
        "https://perfeval.invalid/static/pdf/print.css?x=1",
        "https://perfeval.invalid/static/pdf/missing.css",
        "https://perfeval.invalid/static/pdf/print.txt",
        "https://perfeval.invalid/_fonts/../../etc/passwd",
        "https://perfeval.invalid/_fonts/not-ours.otf",
        "data:text/css,body{}",
    ],
)
def test_the_fetcher_refuses_anything_but_our_static_files(url):
    with pytest.raises(fetcher.FetchRefused):
        fetcher.resolve_static_url(url)


def test_the_fetcher_serves_our_static_files():
    assert fetcher.resolve_static_url("https://perfeval.invalid/static/pdf/print.css") == Path(
        finders.find("pdf/print.css")
    )
    response = fetcher.static_only_fetcher().fetch("https://perfeval.invalid/static/pdf/ua.css")
    assert response.content_type == "text/css"
    assert b"table-header-group" in response.read()


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)


def test_our_user_agent_stylesheet_covers_every_element_the_pdf_uses(db, demo_document):
    forms = import_seeds(demo_document, ["社区党校"])  # with notes
    parser = _Tags()
    parser.feed(
        render.official_html(
            official_sheet.forms_queryset(SelfAssessment.objects.filter(pk=forms[0].pk)), rules_for_year(2023)
        )
    )
    parser.feed(render_to_string("pdf/colgroup.html"))
    ua = Path(finders.find("pdf/ua.css")).read_text()
    covered = set(re.findall(r"(?<![\w.#:-])([a-z][a-z0-9]*)(?=[\s,{])", re.sub(r"/\*.*?\*/", "", ua, flags=re.S)))
    assert parser.tags <= covered, parser.tags - covered


# --- the picture: a layout regression fails the suite -----------------------------------------------------


def rasterize(content: bytes, folder: Path, dpi=50):
    from PIL import Image

    source = folder / "form.pdf"
    source.write_bytes(content)
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile", "-gray", source, folder / "form"],
        check=True,
    )
    return Image.open(folder / "form.png").convert("L")


def reference_form(demo_document):
    """The seed form of the reference picture, approved on a fixed date (no mark, stable footer)."""
    return approve(seed(demo_document, "综合党委经费"))


def test_a_seed_form_looks_like_the_reference_picture(db, demo_document, tmp_path):
    from PIL import Image, ImageChops

    picture = rasterize(render.render_assessment(reference_form(demo_document)), tmp_path)
    if os.environ.get("PERFEVAL_UPDATE_REFERENCE"):  # after an intended layout change; look at it, then commit
        picture.save(REFERENCE, optimize=True)
    reference = Image.open(REFERENCE).convert("L")
    assert picture.size == reference.size
    difference = ImageChops.difference(picture, reference)
    histogram = difference.histogram()
    changed = sum(histogram[64:])  # pixels that moved from ink to paper or back, not anti-aliasing
    # A shifted rule or a re-flowed cell changes thousands of pixels at 50 dpi; rendering noise, none.
    assert changed <= picture.size[0] * picture.size[1] * 0.002, f"{changed} pixels differ from {REFERENCE.name}"


def test_the_reference_picture_catches_a_layout_change(db, demo_document, tmp_path, monkeypatch):
    from PIL import Image, ImageChops

    form = reference_form(demo_document)
    # another number style
    monkeypatch.setattr(official_sheet, "_as_written", lambda value: "" if value is None else f"{value:.2f}")
    picture = rasterize(render.render_assessment(form), tmp_path)
    difference = ImageChops.difference(picture, Image.open(REFERENCE).convert("L"))
    assert sum(difference.histogram()[64:]) > picture.size[0] * picture.size[1] * 0.002


def test_a_form_just_begun_prints_with_its_blanks(db):
    # A new draft has no funding rows and no indicators yet: it still prints, blanks and all.
    bare = AssessmentFactory(goal_expected="", goal_actual="", amount_unit="元")
    text = squeeze(pages_text(render.render_assessment(bare))[0])
    assert "项目资金（元）" in text and "（未填写绩效指标）" in text and "草稿" in text
