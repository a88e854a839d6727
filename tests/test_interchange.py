"""Import is all or nothing and names the form and the field; re-import needs --replace; never for approved."""

import copy
import io
import json

import pytest
from django.core.management import CommandError, call_command

from projects import interchange, schema, validation
from projects.models import Indicator, Project, SelfAssessment, Unit


@pytest.fixture
def one_form(demo_document):
    document = copy.deepcopy(demo_document)
    document["assessments"] = document["assessments"][:1]
    return document


def problems_of(document):
    with pytest.raises(interchange.ImportRefused) as refused:
        interchange.import_document(document)
    return refused.value.problems


def test_import_creates_units_projects_and_forms(db, demo_document):
    saved = interchange.import_document(demo_document)
    assert len(saved) == 9
    department = Unit.objects.get(name="上海市闵行区吴泾镇人民政府")
    unit = Unit.objects.get(name="上海市闵行区吴泾镇社区党群服务中心")
    assert department.kind == Unit.Kind.DEPARTMENT
    assert (unit.kind, unit.parent) == (Unit.Kind.IMPLEMENTING, department)
    assert Project.objects.filter(implementing_unit=unit).count() == 9
    form = SelfAssessment.objects.get(project__name="社区党校")
    assert form.status == SelfAssessment.Status.DRAFT
    assert form.printed_execution_rate == "45%"
    assert form.funding_lines.get(source="total").score == 5
    assert form.indicators.count() == 9


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda a: a["indicators"][2].update(level2="社会效益指标"),
            "第 3 行指标 level2：二级指标“社会效益指标”不属于一级指标“产出指标”",
        ),
        (lambda a: a["indicators"][0].update(weight="十五"), "第 1 行指标 weight：“十五”不是数字"),
        (lambda a: a["indicators"][0].update(weight=15), "第 1 行指标 weight：数字应写成带引号的字符串"),
        (lambda a: a["indicators"][0].update(score="16"), "第 1 行指标 score：得分 16 超过分值 15"),
        (lambda a: a["funding"][0].update(executed="-1"), "funding[1].executed：不能为负数"),
        (lambda a: a["funding"][1].update(source="total"), "funding[2].source：资金来源“total”重复"),
        (lambda a: a.update(colour="red"), "未知字段“colour”"),
        (lambda a: a["indicators"][0].update(unit="人"), "未知字段“unit”"),
        (lambda a: a.update(year="2022"), "year：年度应为 2000 至 2100 之间的整数"),
        (lambda a: a.update(amount_unit="千元"), "amount_unit：金额单位只能是“万元”或“元”"),
        (lambda a: a.pop("project"), "缺少字段“project”"),
    ],
)
def test_bad_documents_are_refused_whole_with_the_form_and_field_named(db, one_form, mutate, expected):
    mutate(one_form["assessments"][0])
    problems = problems_of(one_form)
    assert any(expected in p for p in problems), problems
    assert SelfAssessment.objects.count() == 0
    assert Project.objects.count() == 0 and Unit.objects.count() == 0


def test_every_problem_is_reported_not_just_the_first(db, demo_document):
    demo_document["assessments"][1]["indicators"][0]["weight"] = "abc"
    demo_document["assessments"][8]["funding"][0]["annual_budget"] = "-5"
    problems = problems_of(demo_document)
    assert len(problems) == 2
    assert "第 2 份（综合党委经费，2022 年度）" in problems[0]
    assert "第 9 份（党建服务中心建设，2022 年度）" in problems[1]
    assert SelfAssessment.objects.count() == 0


def test_wrong_format_and_broken_json(db):
    assert any("格式应为" in p for p in problems_of({"format": "other/1", "assessments": [{}]}))
    with pytest.raises(interchange.ImportRefused, match="不是有效的 JSON"):
        interchange.read(b"{not json")


def test_reimport_is_refused_unless_replace(db, one_form):
    interchange.import_document(one_form)
    problems = problems_of(one_form)
    assert "已有该项目该年度的自评表" in problems[0]
    one_form["assessments"][0]["goal_actual"] = "替换后的实际完成情况"
    interchange.import_document(one_form, replace=True)
    form = SelfAssessment.objects.get()
    assert form.goal_actual == "替换后的实际完成情况"
    assert form.version == 2
    assert Indicator.objects.count() == 9


def test_an_approved_form_is_never_replaced(db, one_form):
    (form,) = interchange.import_document(one_form)
    form.status = SelfAssessment.Status.APPROVED
    form.save()
    one_form["assessments"][0]["goal_actual"] = "不应写入"
    problems = problems_of({**one_form})
    with pytest.raises(interchange.ImportRefused, match="已审核通过并锁定"):
        interchange.import_document(one_form, replace=True)
    assert problems
    form.refresh_from_db()
    assert form.goal_actual != "不应写入"


def test_a_failure_in_a_later_form_rolls_back_the_earlier_ones(db, demo_document):
    interchange.import_document({**demo_document, "assessments": demo_document["assessments"][8:]})
    with pytest.raises(interchange.ImportRefused):
        interchange.import_document(demo_document)  # the ninth already exists: nothing of the eight is kept
    assert SelfAssessment.objects.count() == 1


def test_computed_is_ignored_on_import(db, one_form):
    one_form["assessments"][0]["computed"] = {"total_score": "100"}
    interchange.import_document(one_form)
    assert SelfAssessment.objects.count() == 1


def test_export_then_import_round_trip(db, demo_document, tmp_path):
    interchange.import_document(demo_document)
    first = interchange.export_assessments(SelfAssessment.objects.all())
    path = tmp_path / "export.json"
    path.write_text(json.dumps(first, ensure_ascii=False), encoding="utf-8")
    call_command("import_assessments", str(path), "--replace")
    second = interchange.export_assessments(SelfAssessment.objects.all())
    assert second == first


def test_import_command_reports_problems_and_imports_nothing(db, one_form, tmp_path):
    one_form["assessments"][0]["indicators"][0]["level1"] = "产出"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(one_form, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CommandError, match="未导入任何内容") as error:
        call_command("import_assessments", str(path))
    assert "一级指标“产出”不是" in str(error.value)
    assert SelfAssessment.objects.count() == 0


def test_structured_fields_round_trip(db, one_form):
    row = one_form["assessments"][0]["indicators"][0]
    row.update(nature="ge", target_value="100", actual_value="90", measure_unit="%")
    interchange.import_document(one_form)
    exported = interchange.export_assessments(SelfAssessment.objects.all())["assessments"][0]["indicators"][0]
    assert (exported["nature"], exported["target_value"], exported["actual_value"], exported["measure_unit"]) == (
        "ge",
        "100",
        "90",
        "%",
    )


# --- hostile documents: a message, never a traceback, and nothing imported ----------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"[" * 5000 + b"]" * 5000, "嵌套超过 20 层"),
        (b'{"a": ' * 100_000 + b"1" + b"}" * 100_000, "嵌套超过 20 层"),
        (b"PK\x03\x04rest-of-a-zip", "不是 JSON"),
        (b"\xff\xfe{}", "不是 UTF-8"),
        (
            b'{"format": "perfeval.self-assessment/1", "assessments": [',
            "第 1 行第 58 个字符附近有错误（这里缺少内容，文件可能不完整）",
        ),
        (b'{"\\u0000": 1}', "字段名含有无法保存的控制字符"),
        (b'{"\\ud800": 1}', "字段名含有无法保存的控制字符"),
    ],
)
def test_unreadable_files_are_refused_with_a_message(raw, expected):
    with pytest.raises(interchange.ImportRefused) as refused:
        interchange.read(raw)
    assert expected in "".join(refused.value.problems)


def test_brackets_inside_strings_do_not_count_as_nesting():
    assert interchange.read(b'{"goal": "' + b"[" * 500 + b'"}') == {"goal": "[" * 500}


def test_too_large_a_file_is_refused_before_it_is_parsed():
    with pytest.raises(interchange.ImportRefused, match="超过 5 MB"):
        interchange.read(b" " * (interchange.UPLOAD.max_bytes + 1))


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda a: a.update(goal_actual="完成\x00任务"), "goal_actual：含有无法保存的控制字符"),
        (lambda a: a.update(goal_actual="完成\ud800任务"), "goal_actual：含有无法保存的控制字符"),
        (lambda a: a["indicators"][0].update(level1=["产出指标"]), 'level1：一级指标“["产出指标"]”不是'),
        (lambda a: a["indicators"][0].update(level2={"x": 1}), "level2"),
        (lambda a: a["indicators"][0].update(nature=["ge"]), "第 1 行指标 nature"),
        (lambda a: a["indicators"][0].update(achievement={"a": 1}), "第 1 行指标 achievement"),
        (lambda a: a["indicators"][0].update(name=["培训"]), "第 1 行指标 name：应为文字"),
        (lambda a: a["indicators"][0].update(weight="9" * 5000), "第 1 行指标 weight：数字过长"),
        (lambda a: a["funding"][0].update(executed="12,34"), "逗号只能用作千位分隔符"),
        (lambda a: a.update(amount_unit=["万元"]), "amount_unit"),
        (lambda a: a.update(indicators={"level1": "产出指标"}), "indicators"),
    ],
)
def test_wrong_types_and_unstorable_text_are_named(db, one_form, mutate, expected):
    mutate(one_form["assessments"][0])
    problems = problems_of(one_form)
    assert any(expected in p for p in problems), problems
    assert SelfAssessment.objects.count() == 0


def test_import_command_refuses_a_deep_document_with_a_message(db, tmp_path):
    path = tmp_path / "deep.json"
    path.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(CommandError, match="嵌套超过 20 层"):
        call_command("import_assessments", str(path))
    assert SelfAssessment.objects.count() == 0


def raw_with(document, value: str) -> bytes:
    """The document as JSON text with the string "@@" replaced by `value` as written (a number json.dumps
    would not write, a key written twice)."""
    return json.dumps(document, ensure_ascii=True).replace('"@@"', value).encode()


def test_a_key_written_twice_is_refused_with_the_form_and_field(db, one_form):
    one_form["assessments"][0]["indicators"][1]["weight"] = "@@"
    raw = raw_with(one_form, '"5", "weight": "50"')
    problems = problems_of(interchange.read(raw))
    assert problems == [
        "第 1 份（区域人才服务经费，2022 年度） 第 2 行指标：字段“weight”出现了不止一次，无法确定以哪一个为准"
    ]


@pytest.mark.parametrize(
    ("field", "written", "expected"),
    [
        ("funding_score", "9" * 5000, "funding_score：数字过长：最多 5 位"),
        ("funding_score", "-" + "9" * 5000, "funding_score：数字过长：最多 5 位"),
        ("year", "9" * 5000, "year：年度应为 2000 至 2100 之间的整数"),
        ("goal_actual", "9" * 5000, "goal_actual：应为文字"),
    ],
)
def test_a_json_number_of_thousands_of_digits_is_named_not_a_crash(db, one_form, field, written, expected):
    # int() refuses more than 4300 digits with ValueError; the reader keeps such a number for its field to name.
    one_form["assessments"][0][field] = "@@"
    problems = problems_of(interchange.read(raw_with(one_form, written)))
    assert any(expected in p for p in problems), problems


def test_more_forms_than_the_limit_are_refused_before_any_is_read(one_form):
    one_form["assessments"] *= 3
    with pytest.raises(interchange.ImportRefused) as refused:
        interchange.parse_document(one_form, interchange.Limits(max_bytes=1024, max_forms=2))
    assert refused.value.problems == ["文件：文件中有 3 份自评表，一次最多导入 2 份，请分成几个文件导入"]


def test_more_indicator_rows_than_the_editor_allows_are_refused(db, one_form):
    form = one_form["assessments"][0]
    rows = form["indicators"]
    form["indicators"] = [copy.deepcopy(rows[i % len(rows)]) for i in range(schema.MAX_INDICATOR_ROWS)]
    assert len(interchange.parse_document(one_form)[0].indicators) == schema.MAX_INDICATOR_ROWS
    form["indicators"].append(copy.deepcopy(rows[0]))
    assert problems_of(one_form) == [
        f"第 1 份（区域人才服务经费，2022 年度） indicators：绩效指标有 {schema.MAX_INDICATOR_ROWS + 1} 行，"
        f"一份自评表最多 {schema.MAX_INDICATOR_ROWS} 行"
    ]


@pytest.mark.parametrize(
    ("mutate", "where", "limit"),
    [
        (lambda a, n: a.update(goal_expected="目" * n), "goal_expected", schema.MAX_TEXT_LENGTH),
        (lambda a, n: a["indicators"][0].update(deviation="因" * n), "第 1 行指标 deviation", schema.MAX_TEXT_LENGTH),
        (lambda a, n: a.update(project="项" * n), "project", 200),  # Project.name's max_length
        (lambda a, n: a.update(project_code="1" * n), "project_code", 50),
        (lambda a, n: a["indicators"][0].update(name="名" * n), "第 1 行指标 name", 500),
    ],
)
def test_text_longer_than_its_field_holds_is_named(db, one_form, mutate, where, limit):
    mutate(one_form["assessments"][0], limit)
    interchange.parse_document(one_form)
    mutate(one_form["assessments"][0], limit + 1)
    problems = problems_of(one_form)
    assert any(f"{where}：过长：最多 {limit} 个字（现有 {limit + 1} 个）" in p for p in problems), problems


def test_messages_never_carry_nul_or_a_lone_surrogate(db, one_form):
    form = one_form["assessments"][0]
    form["indicators"][0].update(weight="1\ud800", level1="\x00产出")
    form["funding"][0]["executed"] = "\x00"
    problems = problems_of(one_form)
    text = "\n".join(problems)
    text.encode("utf-8")  # a page or a terminal can show it
    assert "\x00" not in text
    assert any("第 1 行指标 weight：“1\ufffd”不是数字" in p for p in problems), problems
    assert any("第 1 行指标 level1：一级指标“\ufffd产出”不是" in p for p in problems), problems


def test_a_refusal_lists_at_most_max_problems(db, one_form):
    one_form["assessments"][0]["indicators"] = [{"level1": "x", "level2": "y"}] * 150  # two problems a row
    problems = problems_of(one_form)
    assert len(problems) == interchange.MAX_PROBLEMS + 1
    assert problems[-1] == "……另有 100 个问题未列出，请先改正以上问题后再导入。"


def test_an_empty_file_says_so():
    for raw in (b"", b"  \n", b"\xef\xbb\xbf"):
        with pytest.raises(interchange.ImportRefused, match="文件是空的"):
            interchange.read(raw)


# --- the command: the same rules as the upload page for existing forms ------------------------------------


def command_file(tmp_path, document, name="forms.json"):
    path = tmp_path / name
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("submitted", "第 1 份（区域人才服务经费，2022 年度）：该表已提交审核，审核人退回之前不能覆盖"),
        ("approved", "第 1 份（区域人才服务经费，2022 年度）：该表已审核通过并锁定，不能被覆盖"),
    ],
)
def test_the_command_never_replaces_a_submitted_or_approved_form(db, one_form, tmp_path, status, message):
    (form,) = interchange.import_document(one_form)
    SelfAssessment.objects.filter(pk=form.pk).update(status=status)
    one_form["assessments"][0]["goal_actual"] = "不应写入"
    with pytest.raises(CommandError) as error:
        call_command("import_assessments", command_file(tmp_path, one_form), "--replace")
    assert str(error.value).splitlines()[1:] == [message]
    form.refresh_from_db()
    assert (form.goal_actual, form.version) != ("不应写入", 2)


def test_the_command_replaces_a_returned_form(db, one_form, tmp_path):
    (form,) = interchange.import_document(one_form)
    SelfAssessment.objects.filter(pk=form.pk).update(status=SelfAssessment.Status.RETURNED)
    one_form["assessments"][0]["goal_actual"] = "更正后的实际完成情况"
    call_command("import_assessments", command_file(tmp_path, one_form), "--replace", stdout=io.StringIO())
    form.refresh_from_db()
    assert (form.goal_actual, form.version) == ("更正后的实际完成情况", 2)


def test_the_command_checks_every_file_and_keeps_nothing_if_one_is_bad(db, one_form, demo_document, tmp_path):
    good = command_file(tmp_path, one_form, "good.json")
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"format": ')
    with pytest.raises(CommandError) as error:
        call_command("import_assessments", good, str(bad))
    assert f"{bad}：文件不是有效的 JSON：第 1 行第 12 个字符附近有错误（这里缺少内容，文件可能不完整）。" in str(
        error.value
    )
    assert SelfAssessment.objects.count() == 0


def test_the_command_refuses_a_file_over_its_limit_before_reading_it(db, tmp_path, monkeypatch):
    from projects.management.commands import import_assessments

    monkeypatch.setattr(import_assessments, "LIMITS", interchange.Limits(max_bytes=1024 * 1024, max_forms=10))
    path = tmp_path / "big.json"
    path.write_bytes(b" " * (1024 * 1024 + 1))
    with pytest.raises(CommandError, match="文件大小超过 1 MB 的上限"):
        call_command("import_assessments", str(path))


def test_a_form_with_more_text_than_a_form_may_hold_is_refused_and_at_the_limit_is_read(db, one_form):
    form = one_form["assessments"][0]
    form["goal_expected"] = form["goal_actual"] = ""
    for row in form["indicators"]:
        row.update(name="", target="", actual="", deviation="")
    rows = form["indicators"]
    share = schema.MAX_FORM_TEXT // len(rows)
    for row in rows:
        row["deviation"] = "因" * share
    rows[0]["name"] = "名" * (schema.MAX_FORM_TEXT - share * len(rows))
    assert validation.form_text_length(form, rows) == schema.MAX_FORM_TEXT
    assert len(interchange.parse_document(one_form)) == 1
    form["goal_actual"] = "实"
    assert problems_of(one_form) == [
        f"第 1 份（区域人才服务经费，2022 年度）：整份自评表的文字共 {schema.MAX_FORM_TEXT + 1} 个字，"
        f"超过了一份表最多 {schema.MAX_FORM_TEXT} 个字（约 25 页）的限制。"
        "请精简年度总体目标、绩效指标或偏差原因的文字，详细材料可作为佐证材料上传。"
    ]
    assert not SelfAssessment.objects.exists()
