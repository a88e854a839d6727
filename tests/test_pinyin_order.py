"""Chinese names sort by pinyin, punctuation ignored, on SQLite and PostgreSQL alike (projects.collation)."""

from django.urls import reverse

from projects.collation import Pinyin, sort_key
from projects.models import Project, Unit

from .factories import ProjectFactory, complete_assessment

# As the issue found them by code point: “泾彩” first, 义务教育 before 党代表.
NAMES = ["“泾彩”文化节经费", "义务教育补助", "党代表工作室经费", "区域人才服务经费", "Alpha 项目", "2023 项目"]
PINYIN = ["2023 项目", "Alpha 项目", "党代表工作室经费", "“泾彩”文化节经费", "区域人才服务经费", "义务教育补助"]


def test_the_sort_key_reads_pinyin_and_drops_punctuation():
    assert sort_key("“泾彩”")[0] == sort_key("泾彩")[0] == "jing1cai3"
    assert sorted(NAMES, key=sort_key) == PINYIN


def test_the_database_sorts_names_by_pinyin(db, unit):
    for name in NAMES:
        ProjectFactory(name=name, implementing_unit=unit)
    assert list(Project.objects.order_by(Pinyin("name")).values_list("name", flat=True)) == PINYIN
    assert list(Project.objects.values_list("name", flat=True)) == PINYIN  # the model's own ordering
    descending = list(Project.objects.order_by(Pinyin("name").desc()).values_list("name", flat=True))
    assert descending == PINYIN[::-1]


def test_units_sort_by_pinyin(db):
    for name in ("中心小学", "吴泾镇", "敬老院"):
        Unit.objects.create(name=name, kind=Unit.Kind.DEPARTMENT)
    assert list(Unit.objects.values_list("name", flat=True)) == ["敬老院", "吴泾镇", "中心小学"]


def test_the_home_page_lists_forms_in_pinyin_order(client, preparer, unit):
    for name in NAMES:
        complete_assessment(ProjectFactory(name=name, implementing_unit=unit), year=2023)
    client.force_login(preparer)
    page = client.get(reverse("dashboard")).content.decode()
    positions = [page.index(name) for name in PINYIN]
    assert positions == sorted(positions)


def test_the_summary_lists_departments_and_units_in_pinyin_order(client, admin_user):
    names = ["中心小学", "吴泾镇", "敬老院"]
    for name in names:
        department = Unit.objects.create(name=name, kind=Unit.Kind.DEPARTMENT)
        unit = Unit.objects.create(name=f"{name}下属单位", kind=Unit.Kind.IMPLEMENTING, parent=department)
        complete_assessment(ProjectFactory(implementing_unit=unit, competent_department=department), year=2023)
    client.force_login(admin_user)
    response = client.get(reverse("reports_summary") + "?year=2023")
    lines = [line.name for line in response.context["summary"].units]
    assert lines == ["敬老院", "吴泾镇", "中心小学"]
