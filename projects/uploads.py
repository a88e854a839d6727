"""Importing forms on behalf of a unit's user (the JSON upload page and the Excel import).

projects.interchange holds the rules of the format and writes the forms; this adds what an upload by a
person must respect on top of them:

- only the 实施单位 the user prepares forms for (access.preparer_units), never a new unit or department
  created by a typing mistake;
- "replace existing" only for forms the user could edit now (草稿 or 已退回): a form waiting for review
  or approved stays as it is (interchange.import_document decides, under the form's row lock, for the
  import command too);
- the limits of an upload (interchange.UPLOAD: file size, forms per document), lower than the command's;
- several documents (one per sheet of a workbook) are imported together, all or nothing, and every problem
  of every document is listed, each with where it is.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from . import access, interchange
from .interchange import ImportRefused
from .models import Project, SelfAssessment, Unit

LIMITS = interchange.UPLOAD


def read_json(upload) -> object:
    """The document of an uploaded JSON file, or ImportRefused saying what is wrong with the file."""
    if upload.size > LIMITS.max_bytes:
        raise interchange.too_large(LIMITS)
    return interchange.read(upload.read(LIMITS.max_bytes + 1), limits=LIMITS)


def import_for_user(user, documents: list[tuple[str, dict]], *, replace: bool = False) -> list[SelfAssessment]:
    """Import (where, document) pairs as `user`; all or nothing.

    `where` prefixes the problems of its document (e.g. "表‘区域人才服务经费’"), "" for none.
    """
    allowed = set(access.preparer_units(user).values_list("pk", flat=True))
    problems: list[str] = []
    saved: list[SelfAssessment] = []
    with transaction.atomic():
        for where, document in documents:
            prefix = f"{where}：" if where else ""
            try:
                parsed = interchange.parse_document(document, LIMITS)
            except ImportRefused as exc:
                problems += [prefix + problem for problem in exc.problems]
                continue
            # A document of one form under a `where` of its own (a sheet) needs no "第 1 份（…）" as well.
            labels = [a.label for a in parsed] if where and len(parsed) == 1 else []
            mine = _own_problems(parsed, allowed)
            if mine:
                problems += [prefix + _without(labels, problem) for problem in mine]
                continue
            try:
                saved += interchange.import_document(
                    document, replace=replace, user=user, allowed_units=allowed, limits=LIMITS
                )
            except ImportRefused as exc:
                problems += [prefix + _without(labels, problem) for problem in exc.problems]
        if problems:
            transaction.set_rollback(True)
    if problems:
        raise ImportRefused(problems)
    return saved


def _without(labels: list[str], problem: str) -> str:
    for label in labels:
        for separator in ("：", " "):
            if problem.startswith(label + separator):
                return problem[len(label) + len(separator) :]
    return problem


def _own_problems(parsed, allowed: set[int]) -> list[str]:
    """What an upload may not do even when the document is valid. (Whether an existing form may be replaced
    is not asked here: its status counts only as read under its row lock, in interchange.import_document.)"""
    problems = []
    names = {a.implementing_unit for a in parsed} | {a.competent_department for a in parsed}
    units = {unit.name: unit for unit in Unit.objects.filter(name__in=names).select_related("parent")}
    projects = set(
        Project.objects.filter(implementing_unit__in=allowed, name__in={a.project for a in parsed}).values_list(
            "implementing_unit", "name", "competent_department"
        )
    )
    for a in parsed:
        unit = units.get(a.implementing_unit)
        if unit is None or unit.pk not in allowed:
            # Said the same way whether the unit exists or not: other units are none of the user's business.
            problems.append(
                _("%(where)s：您不是“%(unit)s”的填报人，不能为它导入自评表")
                % {"where": a.label, "unit": a.implementing_unit}
            )
            continue
        department = units.get(a.competent_department)
        if (
            department is None
            or department.kind != Unit.Kind.DEPARTMENT
            or (department.pk != unit.parent_id and (unit.pk, a.project, department.pk) not in projects)
        ):
            # A new project goes under the unit's own 主管部门; another one only when it is already registered
            # there (then interchange checks it), so that a typing mistake cannot send a form elsewhere.
            problems.append(
                _("%(where)s：主管部门“%(name)s”与“%(unit)s”的主管部门“%(expected)s”不一致，请核对名称")
                % {
                    "where": a.label,
                    "name": a.competent_department,
                    "unit": unit.name,
                    "expected": unit.parent.name if unit.parent_id else "-",
                }
            )
    return problems
