"""A page of a long sorted list: sort narrow, then fetch the page's rows whole.

A list of a district's year sorts thousands of forms joined to their project (by name), unit and stored
evaluation. Sorting the joined rows whole makes the database carry every column of every form through the
sort to keep fifty; sorting only the keys and the id, then loading those fifty rows (a deferred join), costs a
quarter of it at 10,000 forms (bench/scale_bench.py). One query more, whatever the size.
"""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet


def page_of(queryset: QuerySet, number: str | int | None, per_page: int, *, count: int | None = None) -> Page:
    """The page `number` (as Paginator.get_page reads it) of an ordered queryset, its rows loaded with the
    queryset's own select_related, in the queryset's order. `count`: the number of rows, when the caller has
    counted them already (one query fewer)."""
    paginator = Paginator(queryset.values_list("pk", flat=True), per_page)
    if count is not None:
        paginator.count = count
    page = paginator.get_page(number)
    ids = list(page.object_list)
    loaded = queryset.order_by().in_bulk(ids) if ids else {}
    page.object_list = [loaded[pk] for pk in ids if pk in loaded]
    return page
