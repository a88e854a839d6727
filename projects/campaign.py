"""The annual self-evaluation campaign: who owes which form, by when, and who is late.

- The 财政 administrator issues a year's 自评任务 (a list imported all or nothing, or the projects already on
  file), sets the deadlines (a changed deadline needs a recorded reason) and cancels a task that is not needed.
- A task's form is its project's form of that year (one per project and year): "not started" is no form yet.
- Days are counted in the installation's time zone (TIME_ZONE, Asia/Shanghai): a deadline is the last day on
  which a unit may still submit.
- The progress board counts in SQL, one grouped query per level, whatever the number of tasks.
- Notices (projects' home page) and reminder mails (send_reminders) are the same list, from `notices`.
"""

from __future__ import annotations

import datetime
import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Count, F, FilteredRelation, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from simple_history.utils import bulk_create_with_history

from . import access
from .collation import Pinyin
from .interchange import ImportRefused
from .models import Campaign, DeadlineChange, EvaluationTask, Membership, Project, Reminder, SelfAssessment, Unit
from .refusals import Refused
from .tasklist import TaskList, TaskRow

logger = logging.getLogger(__name__)
Status = SelfAssessment.Status
Role = Membership.Role
NOT_STARTED = "not_started"
# The states a task's form can be in, in the board's column order.
STATES = (NOT_STARTED, Status.DRAFT, Status.SUBMITTED, Status.RETURNED, Status.APPROVED)
# A unit still owes the form in these states; a department owes a decision on SUBMITTED.
OWED_BY_UNIT = (Status.DRAFT, Status.RETURNED)


class CampaignRefused(Refused):
    FORBIDDEN = "forbidden"


def today() -> datetime.date:
    return timezone.localdate()


def may_run(actor: access.Person) -> bool:
    """Issuing tasks, deadlines and cancelling are the 财政 administrator's."""
    return access.is_finance_admin(actor)


def may_watch(actor: access.Person) -> bool:
    """The progress board: the 财政 administrator (all departments) and reviewers (their departments)."""
    return access.is_finance_admin(actor) or access.is_reviewer(actor)


def _require_runner(actor) -> None:
    """`actor` None is the command line (manage.py import_tasks): whoever runs it administers the server."""
    if actor is not None and not may_run(actor):
        raise CampaignRefused(_("只有财政管理员可以下达和调整自评任务。"), code=CampaignRefused.FORBIDDEN)


def state_label(state: str) -> str:
    return _("未开始") if state == NOT_STARTED else str(Status(state).label)


# --- the year's campaign -------------------------------------------------------------------------------------


def campaign_for(year: int) -> Campaign:
    """The year's campaign as stored, or an unsaved one with the defaults."""
    found = Campaign.objects.filter(year=year).first()
    return found or Campaign(year=year, reminder_days=list(Campaign.DEFAULT_REMINDER_DAYS))


def years() -> list[int]:
    """Years with tasks or a campaign, newest first."""
    found = set(EvaluationTask.objects.values_list("year", flat=True).distinct())
    found |= set(Campaign.objects.values_list("year", flat=True))
    return sorted(found, reverse=True)


def set_deadlines(
    actor,
    year: int,
    *,
    submission: datetime.date | None,
    review: datetime.date | None,
    reminder_days: Iterable[int] | None = None,
    reason: str = "",
) -> Campaign:
    """Set or move the year's deadlines; moving a date already set needs a reason, and each change is recorded."""
    _require_runner(actor)
    reason = reason.strip()
    with transaction.atomic():
        campaign, _created = Campaign.objects.select_for_update().get_or_create(
            year=year, defaults={"reminder_days": list(Campaign.DEFAULT_REMINDER_DAYS)}
        )
        changes = []
        for which, attr, new in (
            (DeadlineChange.Which.SUBMISSION, "submission_deadline", submission),
            (DeadlineChange.Which.REVIEW, "review_deadline", review),
        ):
            old = getattr(campaign, attr)
            if old == new:
                continue
            if old is not None and not reason:
                raise CampaignRefused(
                    _("%(which)s已定为 %(date)s，调整时请填写调整原因。") % {"which": which.label, "date": old},
                    field="reason",
                )
            changes.append(DeadlineChange(campaign=campaign, which=which, old_date=old, new_date=new, reason=reason))
            setattr(campaign, attr, new)
        if submission and review and review < submission:
            raise CampaignRefused(_("审核截止日期不能早于单位报送截止日期。"), field="review_deadline")
        if reminder_days is not None:
            campaign.reminder_days = sorted({int(d) for d in reminder_days}, reverse=True)
        campaign.save()
        for change in changes:
            change.user = access.signed_in(actor)
            change.save()
    return campaign


# --- issuing tasks -------------------------------------------------------------------------------------------


@dataclass
class Issued:
    created: int = 0
    updated: int = 0
    new_units: list[str] = field(default_factory=list)
    new_projects: int = 0


def issue(actor, year: int, task_list: TaskList) -> Issued:
    """Write a task list, all or nothing: units, departments and projects are matched by name (and code) or
    created; an existing task of the year is updated (重点, amounts). ImportRefused names every bad row."""
    _require_runner(actor)
    if task_list.year is not None and task_list.year != year:
        raise ImportRefused(
            [_("文件是 %(file)s 年度的任务清单，当前是 %(year)s 年度。") % {"file": task_list.year, "year": year}]
        )
    try:
        with transaction.atomic():
            result = _issue(actor, year, task_list)
    except IntegrityError:
        # Another administrator created one of the same units, projects or tasks since the check.
        raise ImportRefused([_("导入时另一位管理员正在下达相同的任务或单位，没有导入；请重新导入。")]) from None
    return result


def _issue(actor, year: int, task_list: TaskList) -> Issued:
    plan = _Plan(year)
    problems = plan.check(task_list.rows)
    if problems:
        raise ImportRefused(problems)
    result = plan.write(access.signed_in(actor))
    if task_list.submission_deadline or task_list.review_deadline:
        current = campaign_for(year)
        set_deadlines(
            actor,
            year,
            submission=task_list.submission_deadline or current.submission_deadline,
            review=task_list.review_deadline or current.review_deadline,
            reason=_("随任务清单导入"),
        )
    return result


class _Plan:
    """A task list checked against the directory in memory (a few queries for any length), then written."""

    def __init__(self, year: int):
        self.year = year
        self.units = {u.name: u for u in Unit.objects.select_related("parent")}
        self.projects = {
            (p.implementing_unit_id, p.name): p
            for p in Project.objects.select_related("implementing_unit", "competent_department")
        }
        self.by_code = {p.code: p for p in self.projects.values() if p.code}
        self.tasks = {t.project_id: t for t in EvaluationTask.objects.filter(year=year)}
        self.new_units: dict[str, Unit] = {}
        self.rows: list[TaskRow] = []

    def _unit(self, name: str) -> Unit | None:
        return self.units.get(name) or self.new_units.get(name)

    def check(self, rows: list[TaskRow]) -> list[str]:
        problems: list[str] = []
        seen: dict[tuple[str, str], str] = {}
        codes: dict[str, str] = {}
        for row in rows:
            problem = self._check_row(row, seen, codes)
            if problem:
                problems.append(f"{row.where}：{problem}")
        return problems

    def _check_row(self, row: TaskRow, seen: dict, codes: dict) -> str:
        key = (row.implementing_unit, row.project)
        if key in seen:
            return _("与%(other)s重复（同一实施单位的同一项目）") % {"other": seen[key]}
        seen[key] = row.where
        if row.project_code and codes.setdefault(row.project_code, row.project) != row.project:
            return _("项目编码“%(code)s”在清单中也用于“%(other)s”") % {
                "code": row.project_code,
                "other": codes[row.project_code],
            }
        problem = self._check_units(row) or self._check_project(row)
        if not problem:
            self.rows.append(row)
        return problem

    def _check_units(self, row: TaskRow) -> str:
        department = self._unit(row.competent_department)
        if department is None:
            department = Unit(name=row.competent_department, kind=Unit.Kind.DEPARTMENT)
            self.new_units[department.name] = department
        elif department.kind != Unit.Kind.DEPARTMENT:
            return _("“%(name)s”在系统中不是主管部门") % {"name": row.competent_department}
        if row.implementing_unit == row.competent_department:
            return ""
        unit = self._unit(row.implementing_unit)
        if unit is None:
            self.new_units[row.implementing_unit] = Unit(
                name=row.implementing_unit, kind=Unit.Kind.IMPLEMENTING, parent=department
            )
        elif unit.kind == Unit.Kind.FINANCE:
            return _("“%(name)s”在系统中是财政部门，不是实施单位") % {"name": row.implementing_unit}
        elif unit.kind == Unit.Kind.IMPLEMENTING and unit.parent_id != department.pk:
            return _("实施单位“%(unit)s”在系统中隶属于“%(parent)s”，不是“%(dept)s”") % {
                "unit": unit.name,
                "parent": unit.parent.name if unit.parent else "",
                "dept": department.name,
            }
        return ""

    def _check_project(self, row: TaskRow) -> str:
        unit = self._unit(row.implementing_unit)
        project = self.projects.get((unit.pk, row.project)) if unit is not None and unit.pk else None
        if row.project_code and (coded := self.by_code.get(row.project_code)) and coded is not project:
            return _("项目编码“%(code)s”在系统中属于“%(unit)s”的项目“%(name)s”") % {
                "code": row.project_code,
                "unit": coded.implementing_unit.name,
                "name": coded.name,
            }
        if project is None:
            return ""
        if project.competent_department.name != row.competent_department:
            return _("项目“%(name)s”在系统中登记在主管部门“%(dept)s”之下") % {
                "name": project.name,
                "dept": project.competent_department.name,
            }
        if row.project_code and project.code and project.code != row.project_code:
            return _("项目“%(name)s”在系统中的编码是“%(code)s”，清单中是“%(listed)s”") % {
                "name": project.name,
                "code": project.code,
                "listed": row.project_code,
            }
        return ""

    def _project(self, row: TaskRow) -> Project:
        return self.projects[(self._unit(row.implementing_unit).pk, row.project)]

    def write(self, user) -> Issued:
        self._write_units()
        new_projects = self._write_projects(user)
        for row in self.rows:
            project = self._project(row)
            if row.project_code and not project.code:
                _fill_code(project, row.project_code)
        creates, updates = [], []
        for row in self.rows:
            project = self._project(row)
            task = self.tasks.get(project.pk)
            wanted = (row.key, row.initial_budget, row.annual_budget)
            if task is None:
                creates.append(
                    EvaluationTask(
                        project=project,
                        year=self.year,
                        key=row.key,
                        initial_budget=row.initial_budget,
                        annual_budget=row.annual_budget,
                        created_by=user,
                    )
                )
            elif (task.key, task.initial_budget, task.annual_budget) != wanted:
                task.key, task.initial_budget, task.annual_budget = wanted
                updates.append(task)
        bulk_create_with_history(creates, EvaluationTask, default_user=user, batch_size=1000)
        for task in updates:
            task._history_user = user
            task.save(update_fields=["key", "initial_budget", "annual_budget"])
        return Issued(
            created=len(creates), updated=len(updates), new_units=sorted(self.new_units), new_projects=new_projects
        )

    def _write_units(self) -> None:
        for unit in self.new_units.values():
            if unit.kind == Unit.Kind.DEPARTMENT:
                unit.save()
        for unit in self.new_units.values():
            if unit.kind == Unit.Kind.IMPLEMENTING:
                unit.parent = self._unit(unit.parent.name)
                unit.save()

    def _write_projects(self, user) -> int:
        new = []
        for row in self.rows:
            unit = self._unit(row.implementing_unit)
            if (unit.pk, row.project) not in self.projects:
                project = Project(
                    name=row.project,
                    code=row.project_code,
                    implementing_unit=unit,
                    competent_department=self._unit(row.competent_department),
                )
                self.projects[(unit.pk, row.project)] = project
                new.append(project)
        # bulk_create sets the primary keys on PostgreSQL and on SQLite 3.35 and later.
        bulk_create_with_history(new, Project, default_user=user, batch_size=1000)
        return len(new)


def _fill_code(project: Project, code: str) -> None:
    """A project on file without a code gets the list's, unless an approved form prints it (then it stays)."""
    from .signals import project_change_refusal

    project.code = code
    if project_change_refusal(project):
        return  # the code is part of an approved form's official record
    project.save(update_fields=["code"])


def issue_from_projects(actor, year: int, *, department: Unit | None = None) -> Issued:
    """Tasks for the projects on file that have a form of the year or of the year before and no task yet."""
    _require_runner(actor)
    user = access.signed_in(actor)
    with transaction.atomic():
        projects = Project.objects.filter(assessments__year__in=(year, year - 1)).exclude(tasks__year=year).distinct()
        if department is not None:
            projects = projects.filter(competent_department=department)
        creates = [EvaluationTask(project=p, year=year, created_by=user) for p in projects]
        bulk_create_with_history(creates, EvaluationTask, default_user=user, batch_size=1000)
    return Issued(created=len(creates))


def cancel(actor, task: EvaluationTask, reason: str) -> EvaluationTask:
    """由绩效管理部门手动取消自评任务: with a reason; the task leaves the to-do and the board's counts."""
    _require_runner(actor)
    reason = reason.strip()
    if not reason:
        raise CampaignRefused(_("请填写取消原因。"), field="reason")
    with transaction.atomic():
        task = EvaluationTask.objects.select_for_update().get(pk=task.pk)
        if not task.is_open:
            raise CampaignRefused(_("该任务已经取消。"))
        task.status, task.cancel_reason, task.cancelled_at = EvaluationTask.Status.CANCELLED, reason, timezone.now()
        task._history_user = access.signed_in(actor)
        task.save()
    return task


def restore(actor, task: EvaluationTask) -> EvaluationTask:
    _require_runner(actor)
    with transaction.atomic():
        task = EvaluationTask.objects.select_for_update().get(pk=task.pk)
        if task.is_open:
            raise CampaignRefused(_("该任务没有被取消。"))
        task.status, task.cancel_reason, task.cancelled_at = EvaluationTask.Status.OPEN, "", None
        task._history_user = access.signed_in(actor)
        task.save()
    return task


# --- reading tasks: scope, state, days ---------------------------------------------------------------------


def visible_tasks(user: access.Person) -> QuerySet[EvaluationTask]:
    """Tasks of the projects the user may see (access.project_scope_q): a preparer's units, a reviewer's
    department, everything for the 财政 administrator."""
    q = access.project_scope_q(user, "project__")
    qs = EvaluationTask.objects.all()
    return qs if q is None else qs.filter(q)


def with_form(tasks: QuerySet[EvaluationTask], year: int) -> QuerySet[EvaluationTask]:
    """Join each task's form (its project's form of the year, at most one): `form__status`, `form__pk`."""
    return tasks.filter(year=year).annotate(
        form=FilteredRelation("project__assessments", condition=Q(project__assessments__year=year))
    )


def state_q(state: str) -> Q:
    return Q(form__isnull=True) if state == NOT_STARTED else Q(form__status=state)


def overdue_q(campaign: Campaign, on: datetime.date) -> Q:
    """Tasks late on `on`: not submitted after the units' deadline, or submitted and not decided after the
    departments' deadline."""
    q = Q(pk__in=[])
    if campaign.submission_deadline and on > campaign.submission_deadline:
        q |= Q(form__isnull=True) | Q(form__status__in=OWED_BY_UNIT)
    if campaign.review_deadline and on > campaign.review_deadline:
        q |= Q(form__status=Status.SUBMITTED)
    return q


def days_left(deadline: datetime.date | None, on: datetime.date) -> int | None:
    """Days until the deadline (0 on the day itself, negative when overdue); None without a deadline."""
    return None if deadline is None else (deadline - on).days


@dataclass
class TaskLine:
    task: EvaluationTask
    state: str
    form_id: int | None
    days: int | None  # days left to the deadline that applies to the task's state, None when nothing is owed

    @property
    def state_label(self) -> str:
        return state_label(self.state)

    @property
    def overdue(self) -> bool:
        return self.days is not None and self.days < 0

    @property
    def overdue_days(self) -> int:
        return -self.days if self.days is not None else 0


def lines(tasks: Iterable[EvaluationTask], campaign: Campaign, on: datetime.date) -> list[TaskLine]:
    """The tasks of task_list (annotated with their form's `form_status` and `form_pk`) with state and days left."""
    result = []
    for task in tasks:
        state = task.form_status or NOT_STARTED
        if not task.is_open or state == Status.APPROVED:
            days = None
        elif state == Status.SUBMITTED:
            days = days_left(campaign.review_deadline, on)
        else:
            days = days_left(campaign.submission_deadline, on)
        result.append(TaskLine(task=task, state=state, form_id=task.form_pk, days=days))
    return result


def task_list(user, year: int) -> QuerySet[EvaluationTask]:
    """The year's tasks the user may see with their form's state, for lists (sort and page in SQL)."""
    return (
        with_form(visible_tasks(user), year)
        .select_related("project", "project__implementing_unit", "project__competent_department")
        .annotate(form_status=F("form__status"), form_pk=F("form__pk"))
    )


def todo(user, on: datetime.date, limit: int = 50) -> list[TaskLine]:
    """The preparer's to-do: open tasks of their units whose form is not yet submitted, most urgent first."""
    units = access.unit_ids(user, Role.PREPARER)
    if not units:
        return []
    found: list[TaskLine] = []
    for year in (
        EvaluationTask.objects.filter(project__implementing_unit__in=units, status=EvaluationTask.Status.OPEN)
        .values_list("year", flat=True)
        .distinct()
        .order_by("-year")
    ):
        campaign = campaign_for(year)
        tasks = (
            task_list(user, year)
            .filter(project__implementing_unit__in=units, status=EvaluationTask.Status.OPEN)
            .filter(Q(form__isnull=True) | Q(form__status__in=OWED_BY_UNIT))
            .order_by(Pinyin("project__name"), "pk")[:limit]
        )
        found += lines(tasks, campaign, on)
    found.sort(key=lambda line: (line.days if line.days is not None else 10**6, line.task.project.name))
    return found[:limit]


# --- the progress board ------------------------------------------------------------------------------------


@dataclass
class BoardRow:
    unit_id: int
    name: str
    counts: dict[str, int]
    total: int
    overdue: int
    key: int

    @property
    def done(self) -> int:
        return self.counts[Status.APPROVED]

    @property
    def done_percent(self) -> int:
        return self.done * 100 // self.total if self.total else 0

    @property
    def cells(self) -> list[int]:
        return [self.counts[state] for state in STATES]


@dataclass
class Board:
    year: int
    campaign: Campaign
    rows: list[BoardRow]
    totals: BoardRow
    level: str  # "department" or "unit"
    department: Unit | None = None


def board_tasks(user, year: int) -> QuerySet[EvaluationTask]:
    """The open tasks a board counts: the 财政 administrator's all, a reviewer's its departments'; `user` None
    is the command line (campaign_progress), which sees all."""
    tasks = EvaluationTask.objects.filter(status=EvaluationTask.Status.OPEN)
    if user is not None and not access.is_finance_admin(user):
        units = access.unit_ids(user, Role.REVIEWER)
        tasks = tasks.filter(
            Q(project__competent_department__in=units) | Q(project__implementing_unit__parent__in=units)
        )
    return with_form(tasks, year)


def board(
    user,
    year: int,
    *,
    department: Unit | None = None,
    key_only: bool = False,
    overdue_only: bool = False,
    on: datetime.date | None = None,
) -> Board:
    """Per department (or, for one department, per unit): tasks by the state of their form, done share and
    overdue, counted in one grouped query."""
    on = on or today()
    campaign = campaign_for(year)
    tasks = board_tasks(user, year)
    if department is not None:
        tasks = tasks.filter(project__competent_department=department)
    if key_only:
        tasks = tasks.filter(key=True)
    late = overdue_q(campaign, on)
    if overdue_only:
        tasks = tasks.filter(late)
    aggregates = {state: Count("pk", filter=state_q(state)) for state in STATES}
    aggregates |= {
        "total": Count("pk"),
        "overdue": Count("pk", filter=late),
        "key_total": Count("pk", filter=Q(key=True)),
    }
    if department is None:
        group, name, level = "project__competent_department", "project__competent_department__name", "department"
    else:
        group, name, level = "project__implementing_unit", "project__implementing_unit__name", "unit"
    rows = [
        _board_row(values[group], values[name], values)
        for values in tasks.values(group, name).annotate(**aggregates).order_by(Pinyin(name), group)
    ]
    # Every task has one department and one unit: the rows partition the tasks, and their sums are the totals.
    totals = BoardRow(
        unit_id=0,
        name=_("合计"),
        counts={state: sum(row.counts[state] for row in rows) for state in STATES},
        total=sum(row.total for row in rows),
        overdue=sum(row.overdue for row in rows),
        key=sum(row.key for row in rows),
    )
    return Board(year=year, campaign=campaign, rows=rows, totals=totals, level=level, department=department)


def _board_row(unit_id: int, name: str, values: dict) -> BoardRow:
    return BoardRow(
        unit_id=unit_id,
        name=name,
        counts={state: values[state] or 0 for state in STATES},
        total=values["total"] or 0,
        overdue=values["overdue"] or 0,
        key=values["key_total"] or 0,
    )


def board_departments(user) -> QuerySet[Unit]:
    """The departments a board may drill into."""
    departments = Unit.objects.filter(kind=Unit.Kind.DEPARTMENT)
    if access.is_finance_admin(user):
        return departments
    return departments.filter(pk__in=access.unit_ids(user, Role.REVIEWER))


# --- notices and reminders --------------------------------------------------------------------------------


@dataclass
class Notice:
    level: str  # "danger", "warning", "info": how the home page colours it
    text: str
    url: str
    kind: str  # OWED (a preparer's unsubmitted tasks) or WAITING (a reviewer's waiting forms)
    days: int | None  # days left to the deadline that applies
    reminder_days: tuple[int, ...] = ()  # the year's days before the deadline on which a mail goes out


OWED, WAITING = "owed", "waiting"


def notices(user, on: datetime.date | None = None) -> list[Notice]:
    """What the campaign asks of the user now, in the interface's language: tasks due or overdue for a
    preparer, forms waiting for a reviewer with the review deadline. Two counts per open year."""
    on = on or today()
    found: list[Notice] = []
    preparer_units = access.unit_ids(user, Role.PREPARER)
    reviewer_units = access.unit_ids(user, Role.REVIEWER)
    if not preparer_units and not reviewer_units:
        return found
    for year in _open_years(preparer_units | reviewer_units):
        campaign = campaign_for(year)
        if preparer_units:
            owed = (
                with_form(EvaluationTask.objects.filter(project__implementing_unit__in=preparer_units), year)
                .filter(status=EvaluationTask.Status.OPEN)
                .filter(Q(form__isnull=True) | Q(form__status__in=OWED_BY_UNIT))
                .count()
            )
            if owed:
                found.append(_owed_notice(year, owed, days_left(campaign.submission_deadline, on), campaign))
        if reviewer_units:
            waiting = (
                with_form(
                    EvaluationTask.objects.filter(
                        Q(project__competent_department__in=reviewer_units)
                        | Q(project__implementing_unit__parent__in=reviewer_units)
                    ),
                    year,
                )
                .filter(status=EvaluationTask.Status.OPEN, form__status=Status.SUBMITTED)
                .count()
            )
            if waiting:
                found.append(_waiting_notice(year, waiting, days_left(campaign.review_deadline, on), campaign))
    return found


def _open_years(units: set[int]) -> list[int]:
    return list(
        EvaluationTask.objects.filter(
            Q(project__implementing_unit__in=units)
            | Q(project__competent_department__in=units)
            | Q(project__implementing_unit__parent__in=units),
            status=EvaluationTask.Status.OPEN,
        )
        .values_list("year", flat=True)
        .distinct()
        .order_by("-year")
    )


def _owed_notice(year: int, owed: int, days: int | None, campaign: Campaign) -> Notice:
    values = {"year": year, "n": owed, "date": campaign.submission_deadline, "days": abs(days or 0)}
    if days is None:
        level, text = (
            "info",
            ngettext(
                "%(year)s 年度有 %(n)s 项自评任务尚未提交审核。", "%(year)s 年度有 %(n)s 项自评任务尚未提交审核。", owed
            ),
        )
    elif days < 0:
        level, text = (
            "danger",
            ngettext(
                "%(year)s 年度有 %(n)s 项自评任务已逾期 %(days)s 天（报送截止 %(date)s），请尽快提交。",
                "%(year)s 年度有 %(n)s 项自评任务已逾期 %(days)s 天（报送截止 %(date)s），请尽快提交。",
                owed,
            ),
        )
    elif days == 0:
        level, text = (
            "danger",
            ngettext(
                "%(year)s 年度有 %(n)s 项自评任务今天截止报送（%(date)s）。",
                "%(year)s 年度有 %(n)s 项自评任务今天截止报送（%(date)s）。",
                owed,
            ),
        )
    else:
        level, text = (
            "warning" if days <= 7 else "info",
            ngettext(
                "%(year)s 年度有 %(n)s 项自评任务将于 %(date)s 截止报送，还剩 %(days)s 天。",
                "%(year)s 年度有 %(n)s 项自评任务将于 %(date)s 截止报送，还剩 %(days)s 天。",
                owed,
            ),
        )
    reminders = tuple(campaign.reminder_days or Campaign.DEFAULT_REMINDER_DAYS)
    return Notice(level, text % values, reverse("dashboard"), OWED, days, reminders)


def _waiting_notice(year: int, waiting: int, days: int | None, campaign: Campaign) -> Notice:
    values = {"year": year, "n": waiting, "date": campaign.review_deadline, "days": abs(days or 0)}
    if days is None:
        level, text = (
            "info",
            ngettext(
                "%(year)s 年度有 %(n)s 份自评表等待您审核。", "%(year)s 年度有 %(n)s 份自评表等待您审核。", waiting
            ),
        )
    elif days < 0:
        level, text = (
            "danger",
            ngettext(
                "%(year)s 年度有 %(n)s 份自评表等待您审核，审核截止日期 %(date)s 已过 %(days)s 天。",
                "%(year)s 年度有 %(n)s 份自评表等待您审核，审核截止日期 %(date)s 已过 %(days)s 天。",
                waiting,
            ),
        )
    else:
        level, text = (
            "warning" if days <= 7 else "info",
            ngettext(
                "%(year)s 年度有 %(n)s 份自评表等待您审核，审核截止 %(date)s，还剩 %(days)s 天。",
                "%(year)s 年度有 %(n)s 份自评表等待您审核，审核截止 %(date)s，还剩 %(days)s 天。",
                waiting,
            ),
        )
    return Notice(level, text % values, reverse("review_queue"), WAITING, days)


def _mail_worthy(user, on: datetime.date) -> list[Notice]:
    """The notices a reminder mail carries today: a preparer's on the year's reminder days and every day once
    overdue, a reviewer's on every day forms wait."""
    worthy = []
    for notice in notices(user, on):
        owed_today = notice.days is not None and (notice.days < 0 or notice.days in notice.reminder_days)
        if notice.kind == WAITING or owed_today:
            worthy.append(notice)
    return worthy


@dataclass
class Sent:
    mailed: int = 0
    skipped: int = 0  # already reminded today, or no e-mail address
    failed: int = 0  # the mail server did not take the mail
    recipients: list[str] = field(default_factory=list)


def send_reminders(on: datetime.date | None = None, *, base_url: str | None = None) -> Sent:
    """Mail everyone the campaign asks something of today, in Chinese, at most once per person and day.

    Preparers with open tasks on the year's reminder days (default 7 and 1 days before the deadline) and every
    day once overdue; reviewers on every day forms wait for them. A person without an e-mail address still
    sees the same notices on the home page.
    """
    on = on or today()
    base = (base_url or settings.PERFEVAL_BASE_URL).rstrip("/")
    sent = Sent()
    people = (
        Membership.objects.filter(role__in=(Role.PREPARER, Role.REVIEWER), user__is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
    )
    User = Membership._meta.get_field("user").related_model
    with translation.override("zh-hans"):
        for user in User.objects.filter(pk__in=people).order_by("pk"):
            due = _mail_worthy(user, on)
            if not due:
                continue
            if not user.email:
                sent.skipped += 1
                continue
            subject = _("绩效自评提醒：%(first)s") % {"first": due[0].text[:60]}
            try:
                with transaction.atomic():
                    Reminder.objects.create(user=user, sent_on=on, subject=subject[:200])
                    body = render_to_string(
                        "campaign/reminder_email.txt",
                        {"user": user, "notices": due, "base": base, "home": base + reverse("dashboard")},
                    )
                    EmailMessage(subject, body, to=[user.email]).send()
            except IntegrityError:  # reminded already today (a second run of the timer)
                sent.skipped += 1
                continue
            except (OSError, smtplib.SMTPException) as exc:
                # The mail server refused or is down: nobody is marked reminded, the next run tries again.
                logger.warning("reminder to %s not sent: %s", user.email, exc)
                sent.failed += 1
                continue
            sent.mailed += 1
            sent.recipients.append(user.email)
    return sent
