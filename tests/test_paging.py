"""page_of: a page of a sorted list, its ids sorted narrow and its rows loaded whole, in the list's order."""

import pytest

from projects.models import SelfAssessment
from projects.paging import page_of

from .factories import ProjectFactory, complete_assessment

pytestmark = pytest.mark.django_db


@pytest.fixture
def forms(unit, department):
    names = ["丙项目", "甲项目", "乙项目", "丁项目", "戊项目"]
    return [
        complete_assessment(ProjectFactory(name=name, implementing_unit=unit, competent_department=department))
        for name in names
    ]


def ordered():
    return SelfAssessment.objects.select_related("project").order_by("-project__name", "pk")


def test_a_page_holds_whole_rows_in_the_lists_order(forms, django_assert_num_queries):
    expected = [a.pk for a in ordered()]
    with django_assert_num_queries(3):  # count, the page's ids, its rows
        page = page_of(ordered(), 2, 2)
        names = [a.project.name for a in page.object_list]  # select_related kept: no query per row
    assert [a.pk for a in page.object_list] == expected[2:4]
    assert names == [a.project.name for a in ordered()][2:4]
    assert page.paginator.count == 5


def test_a_page_out_of_range_is_the_last_and_a_given_count_saves_the_query(forms, django_assert_num_queries):
    assert [a.pk for a in page_of(ordered(), "999", 2).object_list] == [a.pk for a in ordered()][4:]
    with django_assert_num_queries(2):
        page = page_of(ordered(), "x", 2, count=5)
    assert page.number == 1


def test_an_empty_list_is_one_empty_page(db):
    page = page_of(ordered(), 1, 20)
    assert list(page.object_list) == []
    assert page.paginator.count == 0
