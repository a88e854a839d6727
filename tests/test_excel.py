"""projects.excel: the official layout out, the same layout back in, and the files it refuses."""

import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from projects import interchange, schema
from projects.excel import layout, reader, writer
from projects.interchange import ImportRefused
from projects.models import FundingLine, Indicator, SelfAssessment

from .factories import complete_assessment

D = Decimal
SHEET = "区域人才服务经费（测试）"


def export(*assessments) -> bytes:
    qs = SelfAssessment.objects.filter(pk__in=[a.pk for a in assessments]).order_by("project__name")
    return writer.export_workbook(writer.prepared(qs))


def edit(data: bytes, change) -> bytes:
    """Open an exported workbook, let `change(ws)` alter the first sheet, save it again."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    change(wb.worksheets[0])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(data: bytes, name="自评表.xlsx"):
    return SimpleUploadedFile(name, data, content_type=layout.CONTENT_TYPE)


def problems_of(data: bytes, name="自评表.xlsx") -> list[str]:
    with pytest.raises(ImportRefused) as refused:
        reader.read_workbook(upload(data, name), name=name)
    return refused.value.problems


def snapshot(assessment: SelfAssessment) -> dict:
    """Every field a round trip must keep (everything but ids, timestamps, status and version)."""
    a = SelfAssessment.objects.select_related("project__competent_department", "project__implementing_unit").get(
        pk=assessment.pk
    )
    return {
        "year": a.year,
        "project": a.project.name,
        "code": a.project.code,
        "department": a.project.competent_department.name,
        "unit": a.project.implementing_unit.name,
        **{
            f: getattr(a, f)
            for f in (
                "amount_unit",
                "goal_expected",
                "goal_actual",
                "funding_weight",
                "printed_execution_rate",
                "printed_total",
            )
        },
        # A funding source without a row and one with an empty row are the same form.
        "funding": {
            source: (line.initial_budget, line.annual_budget, line.executed, line.score) if line else (None,) * 4
            for source in FundingLine.Source.values
            for line in [a.funding_lines.filter(source=source).first()]
        },
        "indicators": [
            tuple(
                getattr(row, f)
                for f in (
                    "position",
                    "level1",
                    "level2",
                    "name",
                    "target",
                    "actual",
                    "nature",
                    "measure_unit",
                    "target_value",
                    "actual_value",
                    "achievement",
                    "weight",
                    "score",
                    "deviation",
                )
            )
            for row in a.indicators.order_by("position")
        ],
    }


def reimport(data: bytes) -> list[SelfAssessment]:
    saved = []
    for doc in reader.read_workbook(upload(data)):
        saved += interchange.import_document(doc.document, replace=True)
    return saved


# --- the layout ----------------------------------------------------------------------------------------


def test_export_draws_the_official_layout_with_numbers_as_numbers(assessment):
    wb = openpyxl.load_workbook(io.BytesIO(export(assessment)))
    ws = wb[SHEET]
    merged = {str(r) for r in ws.merged_cells.ranges}
    # Title, year, 项目资金 over its five rows, the goals, and 一级 merged over its 二级 as printed.
    assert {"A1:I1", "A2:I2", "A3:B3", "C3:I3", "A5:A9", "A10:A11", "B11:D11", "E11:I11", "B13:B16"} <= merged
    assert ws["A1"].value == "财政项目支出绩效自评表"
    assert ws["A2"].value == "（2023 年度）"
    assert ws["A5"].value == "项目资金\n（万元）"
    assert [ws.cell(5, c).value for c in range(3, 9)] == [
        "年初预算数",
        "全年预算数",
        "全年执行数",
        "分值",
        "执行率",
        "得分",
    ]
    assert (ws["B6"].value, ws["D6"].value, ws["E6"].value, ws["F6"].value, ws["H6"].value) == (
        "年度资金总额",
        100,
        100,
        10,
        10,
    )
    assert ws["G6"].value == 1 and ws["G6"].number_format == "0.00%"
    assert [ws.cell(12, c).value for c in range(1, 10)] == [
        "绩效指标",
        "一级指标",
        "二级指标",
        "三级指标",
        "年度指标值",
        "实际完成值",
        "分值",
        "得分",
        "偏差原因分析及改进措施",
    ]
    assert (ws["B13"].value, ws["C13"].value, ws["D13"].value, ws["G13"].value, ws["H13"].value) == (
        "产出指标",
        "数量指标",
        "培训人次",
        20,
        20,
    )
    assert ws["B17"].value == "效益指标" and ws["B18"].value == "满意度指标"
    assert (ws["A19"].value, ws["G19"].value, ws["H19"].value) == ("总分", 100, 100)
    assert ws.print_area == "'区域人才服务经费（测试）'!$A$1:$I$19"
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws["A21"].value.startswith("系统计算")


def test_amounts_in_yuan_say_so_in_the_header(assessment):
    assessment.amount_unit = SelfAssessment.AmountUnit.YUAN
    assessment.save()
    ws = openpyxl.load_workbook(io.BytesIO(export(assessment)))[SHEET]
    assert ws["A5"].value == "项目资金\n（元）"


def test_exported_text_cannot_run_as_a_formula(assessment):
    texts = ['=HYPERLINK("http://evil.example","点我")', "+1+1", "-2+3", "@SUM(A1)", "=cmd|' /C calc'!A0"]
    rows = list(assessment.indicators.order_by("position"))
    for row, text in zip(rows, texts, strict=False):
        row.name = text
        row.save()
    assessment.goal_expected = "=1+1"
    assessment.save()
    data = export(assessment)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets and not any(b"<f>" in archive.read(n) or b"<f " in archive.read(n) for n in sheets)
    ws = openpyxl.load_workbook(io.BytesIO(data))[SHEET]
    names = [ws.cell(13 + i, 4) for i in range(len(texts))]
    assert [c.value for c in names] == texts
    assert all(c.data_type == "s" and c.quotePrefix for c in names)
    assert ws["B11"].value == "=1+1" and ws["B11"].data_type == "s"
    # and it comes back exactly as typed
    assert [row[3] for row in snapshot(reimport(data)[0])["indicators"][:5]] == texts


def test_sheet_names_are_valid_and_unique():
    taken = set()
    assert writer.sheet_title("a/b:c*d?[e]", taken) == "a_b_c_d__e_"
    long = "很长的项目名称" * 10
    first, second = writer.sheet_title(long, taken), writer.sheet_title(long, taken)
    assert len(first) == 31 and len(second) == 31 and first != second and second.endswith("（2）")
    assert writer.sheet_title("History", taken) == "History_"


# --- round trip ----------------------------------------------------------------------------------------


def test_round_trip_keeps_every_field_of_the_nine_demo_forms(db, demo_document):
    imported = interchange.import_document(demo_document)
    before = {a.pk: snapshot(a) for a in imported}
    data = export(*imported)
    SelfAssessment.objects.all().delete()
    after = [snapshot(a) for a in reimport(data)]
    assert sorted(after, key=lambda s: s["project"]) == sorted(before.values(), key=lambda s: s["project"])
    # The forms whose printed 执行率 is not 执行数 / 预算数 keep it, so the checks still report it.
    assert {s["project"]: s["printed_execution_rate"] for s in after}["综合党委经费"] == "48%"


def test_round_trip_keeps_every_field_of_an_unusual_form(project):
    a = SelfAssessment.objects.create(
        project=project,
        year=2024,
        amount_unit="元",
        funding_weight=None,
        goal_expected="  第一行\n第二行：=不是公式  ",
        goal_actual="完成 100%",
        printed_execution_rate="45.87%",
        printed_total="",
    )
    project.code = "P-2024-001"
    project.save()
    FundingLine.objects.create(
        assessment=a,
        source="total",
        initial_budget=D("12345678901.2345"),
        annual_budget=D("98765432109.8765"),
        executed=D("0.0001"),
        score=D("7.5"),
    )
    FundingLine.objects.create(
        assessment=a, source="carryover", initial_budget=D("0"), annual_budget=None, executed=D("3.1416")
    )
    rows = [
        {
            "level1": "output",
            "level2": "quantity",
            "name": "",
            "target": "≥ 100 人次",
            "actual": "120 人次",
            "nature": "ge",
            "measure_unit": "人次",
            "target_value": D("100"),
            "actual_value": D("120.5"),
            "weight": D("12.5"),
            "score": D("12.25"),
        },
        {
            "level1": "output",
            "level2": "quantity",
            "name": "第二个数量指标",
            "target": "100",
            "actual": "90",
            "weight": D("10"),
            "score": D("9"),
            "deviation": "偏差：\n未完成 10 人",
        },
        {
            "level1": "benefit",
            "level2": "social",
            "name": "定性",
            "target": "好",
            "actual": "较好",
            "nature": "qualitative",
            "achievement": "partial",
            "weight": None,
            "score": None,
        },
        {
            "level1": "satisfaction",
            "level2": "service_satisfaction",
            "name": "-满意度",
            "target": "@90%",
            "actual": "+95%",
            "weight": D("0"),
            "score": D("0"),
        },
    ]
    for i, row in enumerate(rows, start=1):
        Indicator.objects.create(assessment=a, position=i, **row)
    before = snapshot(a)
    data = export(a)
    ws = openpyxl.load_workbook(io.BytesIO(data))[SHEET]
    assert ws["D6"].value == 98765432109.8765
    assert ws["G6"].value == "45.87%"  # the printed text, kept as the unit wrote it
    a.delete()
    [again] = reimport(data)
    assert snapshot(again) == before


def test_figures_beyond_excel_precision_are_written_as_text_and_read_back_exactly(assessment):
    wb = openpyxl.Workbook()
    cell = wb.active["A1"]
    writer.put_number(cell, D("99999999999999.9999"))  # 18 digits: a double keeps 15 to 17
    assert (cell.value, cell.data_type) == ("99999999999999.9999", "s")
    writer.put_number(cell, D("44.3200"))
    assert (cell.value, cell.data_type) == (D("44.32"), "n")

    def change(ws):
        ws["C6"].value = "12,345,678,901.2345"  # text, with thousands separators, where a number belongs

    [doc] = reader.read_workbook(upload(edit(export(assessment), change)))
    assert doc.document["assessments"][0]["funding"][0]["initial_budget"] == "12345678901.2345"


@pytest.mark.parametrize(("cell", "printed"), [(D("0.4587"), ""), (D("0.48"), "48%"), ("48%", "48%")])
def test_the_rate_cell_is_printed_only_when_it_differs_from_the_computed_rate(project, cell, printed):
    a = complete_assessment(project, budget="44.32", executed="20.33", funding_score="5")

    def change(ws):
        ws["G6"].value = cell
        ws["G6"].number_format = "0.00%"

    [doc] = reader.read_workbook(upload(edit(export(a), change)))
    assert doc.document["assessments"][0].get("printed", {}).get("execution_rate", "") == printed


def test_a_total_that_differs_from_the_entered_scores_is_kept_as_printed(assessment):
    def change(ws):
        ws["H19"].value = 93

    [doc] = reader.read_workbook(upload(edit(export(assessment), change)))
    assert doc.document["assessments"][0]["printed"] == {"total_score": "93"}


def test_reimport_writes_only_the_cells_that_changed(assessment):
    rows = {row.pk: row.position for row in assessment.indicators.all()}
    last_row = Indicator.history.order_by("-history_id").values_list("history_id", flat=True).first()
    last_line = FundingLine.history.order_by("-history_id").values_list("history_id", flat=True).first()

    def change(ws):
        ws["H13"].value = 18
        ws["I13"].value = "部分培训延期到下一年度。"

    [again] = reimport(edit(export(assessment), change))
    assert again.pk == assessment.pk and again.version == assessment.version + 1
    assert {row.pk: row.position for row in again.indicators.all()} == rows  # the same rows, none re-added
    written = Indicator.history.filter(history_id__gt=last_row)
    assert [(h.history_type, h.position, h.score) for h in written] == [("~", 1, D(18))]
    assert not FundingLine.history.filter(history_id__gt=last_line).exists()


def test_reimport_replaces_what_a_draft_kept_as_typed(assessment):
    SelfAssessment.objects.filter(pk=assessment.pk).update(typed={"funding_weight": "x"})
    assessment.indicators.filter(position=1).update(score=None, typed={"score": "3o"})
    assessment.refresh_from_db()

    def change(ws):
        ws["H13"].value = 18

    [again] = reimport(edit(export(assessment), change))
    assert again.typed == {} and again.indicators.get(position=1).typed == {}
    assert again.indicators.get(position=1).score == D(18)


def test_reimporting_the_same_workbook_writes_nothing(assessment):
    version = assessment.version
    last_row = Indicator.history.order_by("-history_id").values_list("history_id", flat=True).first()
    [again] = reimport(export(assessment))
    assert again.version == version
    assert not Indicator.history.filter(history_id__gt=last_row).exists()


def test_reimport_with_a_row_removed_deletes_only_that_row(assessment):
    last = assessment.indicators.order_by("-position").first()
    last_row = Indicator.history.order_by("-history_id").values_list("history_id", flat=True).first()

    def change(ws):
        for col in range(2, 16):
            ws.cell(18, col).value = None

    [again] = reimport(edit(export(assessment), change))
    assert not again.indicators.filter(pk=last.pk).exists()
    assert again.indicators.count() == 5
    written = Indicator.history.filter(history_id__gt=last_row)
    assert [(h.history_type, h.id) for h in written] == [("-", last.pk)]


# --- formulas: what the system computes is ignored, an input cell is read as the saved result ---------------


def saved_results(data: bytes, results: dict[str, str], errors: frozenset = frozenset()) -> bytes:
    """What Excel or WPS does on saving: store each formula cell's result beside its formula (openpyxl
    writes formulas without results). `errors`: cells whose result is an error value (t="e")."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = content.decode()
                for cell, value in results.items():
                    start = text.index(f'<c r="{cell}"')
                    end = text.index("</c>", start)
                    kind = ' t="e"' if cell in errors else ' t="str"' if not value.replace(".", "").isdigit() else ""
                    part = text[start:end].replace("<v></v>", "").replace("<v />", "")
                    part = part.replace(f'<c r="{cell}"', f'<c r="{cell}"{kind}', 1) + f"<v>{value}</v>"
                    text = text[:start] + part + text[end:]
                content = text.encode()
            target.writestr(item, content)
    return out.getvalue()


def test_formulas_in_the_cells_the_system_computes_are_ignored(assessment):
    def change(ws):
        ws["G6"].value = "=E6/D6"  # 执行率
        ws["G7"].value = "=E7/D7"
        ws["G19"].value = "=SUM(G13:G18)"  # 分值合计
        ws["H19"].value = "=SUM(H13:H18)+H6"  # 总分

    # Without saved results (written by a script) and with them (saved by Excel): the same, no note.
    for data in (
        edit(export(assessment), change),
        saved_results(edit(export(assessment), change), {"G6": "1", "G7": "1", "G19": "90", "H19": "93"}),
    ):
        [doc] = reader.read_workbook(upload(data))
        assert "printed" not in doc.document["assessments"][0]
        assert doc.notes == []


def test_a_formula_in_an_input_cell_is_imported_as_its_saved_result_with_a_note(assessment):
    def change(ws):
        ws["D6"].value = "=D7+D8+D9"  # 年度资金总额的全年预算数, a sum the unit typed as a formula
        ws["H13"].value = "=20"

    data = saved_results(edit(export(assessment), change), {"D6": "100", "H13": "20"})
    [doc] = reader.read_workbook(upload(data))
    item = doc.document["assessments"][0]
    assert item["funding"][0]["annual_budget"] == "100" and item["indicators"][0]["score"] == "20"
    assert doc.notes == [
        f"表‘{SHEET}’第 6 行 D 列是公式（=D7+D8+D9），已按文件中保存的计算结果“100”导入，请核对",
        f"表‘{SHEET}’第 13 行 H 列是公式（=20），已按文件中保存的计算结果“20”导入，请核对",
    ]


def test_a_formula_whose_result_is_an_error_value_is_refused_with_its_cell(assessment):
    def change(ws):
        ws["H13"].value = "=1/0"

    data = saved_results(edit(export(assessment), change), {"H13": "#DIV/0!"}, errors=frozenset({"H13"}))
    assert problems_of(data) == [f"表‘{SHEET}’第 13 行 H 列：公式（=1/0）的计算结果是错误值（#DIV/0!），请改为填写内容"]


def test_the_import_page_tells_which_cells_were_formulas(client_for, preparer, assessment):
    from django.urls import reverse

    def change(ws):
        ws["H13"].value = "=10+10"

    data = saved_results(edit(export(assessment), change), {"H13": "20"})
    response = client_for(preparer).post(reverse("excel_import"), {"file": upload(data), "replace": "on"}, follow=True)
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert any("第 13 行 H 列是公式（=10+10）" in m for m in shown), shown


# --- problems, each with its sheet, row and column --------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "value", "message"),
    [
        ("H13", "十五", "表‘区域人才服务经费（测试）’第 13 行 H 列：得分：“十五”不是数字，请填写数字，如 44.32"),
        (
            "G14",
            "=5+5",
            "表‘区域人才服务经费（测试）’第 14 行 G 列：含有公式（=5+5），但文件中没有保存公式的计算结果（文件不是用 Excel "
            "或 WPS 保存的）：请在 Excel 或 WPS 中打开这个文件并保存，然后再导入",
        ),
        (
            "C13",
            "经济效益指标",
            "表‘区域人才服务经费（测试）’第 13 行 C 列：二级指标“经济效益指标”不属于一级指标“产出指标”（应属于“效益指标”）",
        ),
        ("C13", "数量", None),  # "数量" is read as 数量指标: no problem
        (
            "P13",
            "备注",
            "表‘区域人才服务经费（测试）’第 13 行 P 列：不认识的内容“备注”：自评表格式中这里应为空（是否多了一列或挪动了单元格？）",
        ),
        ("E12", "目标值", "表‘区域人才服务经费（测试）’第 12 行 E 列：列标题应为“年度指标值”，而不是“目标值”"),
        ("H13", 25, "表‘区域人才服务经费（测试）’第 13 行 H 列：得分 25 超过分值 20"),
        ("D6", -5, "表‘区域人才服务经费（测试）’第 6 行 D 列：年度资金总额的全年预算数：不能为负数（-5）"),
        (
            "C6",
            "12.34567",
            "表‘区域人才服务经费（测试）’第 6 行 C 列：年度资金总额的年初预算数：最多 4 位小数（12.34567）",
        ),
        (
            "B7",
            "专项资金",
            "表‘区域人才服务经费（测试）’第 7 行 B 列：不认识的资金来源“专项资金”：应为 年度资金总额、其中：当年财政拨款、上年结转资金、其他资金 之一",
        ),
        ("B13", "产出", None),
        (
            "B13",
            "投入指标",
            "表‘区域人才服务经费（测试）’第 13 行 B 列：一级指标“投入指标”不在规定的一级指标中（产出指标、效益指标、满意度指标）",
        ),
        ("A2", "（年度）", "表‘区域人才服务经费（测试）’第 2 行 A 列：没有找到年度：标题下一行应写成“（2023 年度）”"),
        (
            "A21",
            "签字：张三",
            "表‘区域人才服务经费（测试）’第 21 行 A 列：“总分”行之后的内容“签字：张三”不会被导入，请删除后再导入",
        ),
        (
            "A5",
            "项目资金",
            "表‘区域人才服务经费（测试）’第 5 行 A 列：没有写明金额单位：应写成“项目资金（万元）”或“项目资金（元）”",
        ),
        ("K13", "大于", "表‘区域人才服务经费（测试）’第 13 行 K 列：指标性质应为 ≥、≤、= 或 定性，而不是“大于”"),
    ],
)
def test_a_bad_cell_is_reported_with_sheet_row_and_column(assessment, cell, value, message):
    def change(ws):
        if cell == "A21":
            for rng in [r for r in ws.merged_cells.ranges if r.min_row >= 21]:  # drop the 系统计算 block first
                ws.unmerge_cells(str(rng))
            for r in range(21, ws.max_row + 1):
                for c in range(1, 10):
                    ws.cell(r, c).value = None
        ws[cell].value = value

    data = edit(export(assessment), change)
    if message is None:
        assert reader.read_workbook(upload(data))
    else:
        assert message in problems_of(data)


def test_every_problem_is_listed_and_nothing_is_imported(assessment):
    def change(ws):
        ws["H13"].value = "满分"
        ws["C17"].value = "数量指标"  # under 效益指标
        ws["G15"].value = "=SUM(G13:G14)"

    data = edit(export(assessment), change)
    SelfAssessment.objects.all().delete()
    problems = problems_of(data)
    assert [p.split("：")[0] for p in problems] == [  # in reading order
        "表‘区域人才服务经费（测试）’第 13 行 H 列",
        "表‘区域人才服务经费（测试）’第 15 行 G 列",
        "表‘区域人才服务经费（测试）’第 17 行 C 列",
    ]
    assert not SelfAssessment.objects.exists()


def test_blank_level_cells_continue_the_row_above_as_merged_cells_do(assessment):
    def change(ws):
        ws.unmerge_cells("B13:B16")
        ws["B14"].value = None  # as a merged cell reads
        ws["C14"].value = None  # a second 三级 under the same 二级

    [doc] = reader.read_workbook(upload(edit(export(assessment), change)))
    rows = doc.document["assessments"][0]["indicators"]
    assert (rows[1]["level1"], rows[1]["level2"]) == ("output", "quantity")


def test_a_new_level1_needs_its_own_level2(assessment):
    def change(ws):
        ws["C17"].value = None

    assert "表‘区域人才服务经费（测试）’第 17 行 C 列：二级指标不能为空" in problems_of(
        edit(export(assessment), change)
    )


def test_the_same_form_twice_in_a_workbook_is_refused(assessment):
    data = export(assessment)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    wb.copy_worksheet(wb.worksheets[0]).title = "副本"
    out = io.BytesIO()
    wb.save(out)
    assert problems_of(out.getvalue()) == [
        "表‘副本’与表‘区域人才服务经费（测试）’是同一项目同一年度（区域人才服务经费（测试），2023 年度），只能保留一张。"
    ]


def test_a_sheet_that_is_not_a_form_is_named_and_empty_sheets_are_skipped(assessment):
    wb = openpyxl.load_workbook(io.BytesIO(export(assessment)))
    wb.create_sheet("Sheet2")
    wb.create_sheet("说明")["A1"] = "这是一些说明"
    out = io.BytesIO()
    wb.save(out)
    assert problems_of(out.getvalue()) == [
        "表‘说明’第 1 行 A 列：这张表不像自评表：第一行应为标题“财政项目支出绩效自评表”，而不是“这是一些说明”"
    ]


# --- the file itself -----------------------------------------------------------------------------------


def zip_bytes(parts: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


def test_refuses_what_is_not_an_xlsx(monkeypatch):
    monkeypatch.setattr(reader, "load_workbook", lambda *a, **k: pytest.fail("openpyxl must not see this file"))
    assert problems_of(b"%PDF-1.7 not a workbook", "表.xlsx") == [
        "文件不是 Excel 工作簿（.xlsx）（文件名以 .xlsx 结尾，但内容不是 Excel 工作簿）。请上传用本系统模板填写的 .xlsx 文件。"
    ]
    assert "旧版 Excel（.xls）" in problems_of(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "表.xls")[0]
    assert problems_of(zip_bytes({"word/document.xml": b"<w/>", "[Content_Types].xml": b"<Types/>"})) == [
        "文件是压缩包，但不是 Excel 工作簿（.xlsx）。"
    ]
    assert problems_of(b"PK\x03\x04 broken") == ["文件已损坏，或不是有效的 Excel 工作簿（.xlsx），无法读取。"]
    assert problems_of(b"") == ["文件是空的。"]


def test_a_broken_workbook_is_refused_in_words_a_clerk_understands(assessment):
    data = export(assessment)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"][:200]  # cut in the middle
    assert problems_of(zip_bytes(parts)) == ["文件已损坏，或不是有效的 Excel 工作簿（.xlsx），无法读取。"]


def test_refuses_a_macro_enabled_workbook(assessment):
    with zipfile.ZipFile(io.BytesIO(export(assessment))) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml"
    )
    assert "启用宏" in problems_of(zip_bytes(parts))[0]


def test_refuses_a_file_over_the_size_limit(monkeypatch, assessment):
    data = export(assessment)
    monkeypatch.setattr(reader, "MAX_UPLOAD_BYTES", len(data) - 1)
    assert problems_of(data)[0].startswith("文件大小为")


def test_refuses_a_zip_bomb_before_inflating_it(monkeypatch):
    monkeypatch.setattr(reader, "load_workbook", lambda *a, **k: pytest.fail("openpyxl must not see this file"))
    bomb = zip_bytes(
        {
            "[Content_Types].xml": b"<Types/>",
            "xl/workbook.xml": b"<workbook/>",
            "xl/worksheets/sheet1.xml": b"\0" * (60 * 1024 * 1024),
        }
    )
    assert len(bomb) < 200 * 1024
    assert problems_of(bomb) == ["文件中的“xl/worksheets/sheet1.xml”解压后异常巨大，已拒绝读取。"]


def test_refuses_many_parts_that_add_up(monkeypatch):
    monkeypatch.setattr(reader, "MAX_PART_RATIO", 10**9)
    parts = {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}
    parts |= {f"xl/media/{i}.bin": b"\0" * (5 * 1024 * 1024) for i in range(9)}
    assert problems_of(zip_bytes(parts))[0].startswith("文件解压后有 45 MB，超过 40 MB 的上限")


def test_defusedxml_protects_openpyxl_from_entity_expansion(assessment):
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML, "openpyxl must parse through defusedxml (install defusedxml, keep OPENPYXL_DEFUSEDXML unset)"
    with zipfile.ZipFile(io.BytesIO(export(assessment))) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;'
        b'&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )
    sheet = parts["xl/worksheets/sheet1.xml"]
    assert sheet.startswith(b"<worksheet")
    parts["xl/worksheets/sheet1.xml"] = laughs + sheet.replace(
        "<t>财政项目支出绩效自评表</t>".encode(), b"<t>&lol2;</t>"
    )
    assert problems_of(zip_bytes(parts)) == ["文件已损坏，或不是有效的 Excel 工作簿（.xlsx），无法读取。"]


def test_a_sheet_that_declares_a_million_rows_is_refused_at_the_row_cap(assessment):
    def change(ws):
        ws["A1048576"] = "x"

    assert problems_of(edit(export(assessment), change)) == [
        "表‘区域人才服务经费（测试）’超过 1000 行，不像一份自评表，请删除多余的内容。"
    ]


def test_refuses_too_many_sheets(monkeypatch, assessment):
    monkeypatch.setattr(reader, "MAX_SHEETS", 1)
    wb = openpyxl.load_workbook(io.BytesIO(export(assessment)))
    wb.create_sheet("二")
    out = io.BytesIO()
    wb.save(out)
    assert problems_of(out.getvalue()) == ["工作簿有 2 张工作表，一次最多导入 1 张。"]


# --- the empty template --------------------------------------------------------------------------------


def test_the_template_filled_in_imports_and_untouched_it_says_what_is_missing(preparer, unit, department):
    data = writer.template_workbook(year=2024, department=department.name, unit=unit.name)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["自评表", "填写说明"]
    assert problems_of(data) == ["表‘自评表’第 3 行 C 列：项目名称不能为空"]

    ws = wb["自评表"]
    ws["C3"] = "社区活动经费"
    for cell, value in {"C6": 50, "D6": 50, "E6": 45, "H6": 9, "C7": 50, "D7": 50, "E7": 45}.items():
        ws[cell] = value
    ws["B11"], ws["E11"] = "开展社区活动 12 次", "开展 12 次"
    for row, (name, weight, score) in enumerate(
        [
            ("活动次数", 20, 20),
            ("活动质量", 10, 10),
            ("按时完成", 10, 10),
            ("成本控制", 10, 10),
            ("经济效益", 0, 0),
            ("居民参与", 20, 20),
            ("生态效益", 0, 0),
            ("长效机制", 10, 10),
            ("居民满意度", 10, 10),
        ],
        start=13,
    ):
        ws.cell(row, 4).value, ws.cell(row, 7).value, ws.cell(row, 8).value = name, weight, score
    ws["D22"], ws["E22"], ws["F22"], ws["G22"], ws["H22"] = "第二个满意度指标", "90%", "95%", 0, 0  # an added row
    out = io.BytesIO()
    wb.save(out)
    [doc] = reader.read_workbook(upload(out.getvalue()))
    item = doc.document["assessments"][0]
    assert (item["year"], item["project"], item["implementing_unit"], item["competent_department"]) == (
        2024,
        "社区活动经费",
        unit.name,
        department.name,
    )
    assert len(item["indicators"]) == 10
    assert item["indicators"][-1]["level2"] == "service_satisfaction"  # continued from the row above
    [saved] = interchange.import_document(doc.document)
    assert saved.funding_lines.get(source="total").executed == D(45)


# --- limits shared with the JSON import (projects.schema) ---------------------------------------------------


def test_free_text_longer_than_the_declared_limit_is_named_with_its_cell(assessment):
    long = "目" * (schema.MAX_TEXT_LENGTH + 1)
    data = edit(export(assessment), lambda ws: ws.cell(11, 2, long))
    assert problems_of(data) == [
        f"表‘{SHEET}’第 11 行 B 列：预期目标过长（{schema.MAX_TEXT_LENGTH + 1} 个字，最多 {schema.MAX_TEXT_LENGTH} 个字）"
    ]
    kept = "目" * (schema.MAX_TEXT_LENGTH - 1) + "\n"  # at the limit, and free text keeps its line break
    [sheet] = reader.read_workbook(upload(edit(export(assessment), lambda ws: ws.cell(11, 2, kept))))
    assert sheet.document["assessments"][0]["goal_expected"] == kept


def test_a_number_excel_cannot_hold_is_named_with_its_cell(assessment):
    # openpyxl writes infinity as an empty cell; a hand-made file can say 1e309, which reads as float("inf").
    data = edit(export(assessment), lambda ws: ws.cell(6, 3, 12345.5))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    assert sheet.count(b"<v>12345.5</v>") == 1
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(b"<v>12345.5</v>", b"<v>1e309</v>")
    assert problems_of(zip_bytes(parts)) == [
        f"表‘{SHEET}’第 6 行 C 列：单元格中的数字超出了 Excel 能表示的范围，请改为填写实际的数字"
    ]


def test_a_huge_rate_or_heading_number_is_refused_in_words_not_as_a_broken_file(assessment):
    def change(ws):
        ws.cell(6, 7, 1e300)  # the 执行率 cell
        ws.cell(12, 7, 1e308)  # the 分值 heading

    problems = problems_of(edit(export(assessment), change))
    assert f"表‘{SHEET}’第 6 行 G 列：执行率过长（最多 20 个字）" in problems
    heading = next(p for p in problems if "第 12 行 G 列" in p)
    assert heading.startswith(f"表‘{SHEET}’第 12 行 G 列：列标题应为“分值”，而不是“1000000") and len(heading) < 120
