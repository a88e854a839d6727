"""单位与账号: the 财政 administrator's directory of units, accounts and roles, on the product's own pages.

Every change is a function here, called by projects.views.directory, and each refuses with a message:
- only a 财政 administrator (or a superuser) changes the directory;
- nobody grants, changes or takes away their own roles, or deactivates their own account (another administrator
  does it: no role escalates itself);
- superuser and staff accounts are outside the directory: only a superuser manages them, in the Django admin;
- a new account gets its password from the person it belongs to, through a 设置密码 e-mail (Django's password
  reset), never from the administrator, who therefore cannot sign in as the people it manages;
- a unit whose name approved forms print is not renamed (projects.signals.unit_change_refusal);
- an account list (projects.accountlist) is imported all or nothing, by the same rules as one account at a time,
  and never changes an existing account's name or e-mail.
Unit and Membership keep their history (django-simple-history, with the acting user).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from . import access, accountlist, signals
from .interchange import ImportRefused
from .models import Membership, Unit
from .refusals import Refused

Role = Membership.Role


class DirectoryRefused(Refused):
    """A change of the directory that the actor may not make, or that would break a rule."""

    FORBIDDEN = "forbidden"


def may_manage(actor: access.Person) -> bool:
    return access.is_finance_admin(actor)


def _require_manager(actor: access.Person) -> None:
    if not may_manage(actor):
        raise DirectoryRefused(_("只有财政管理员可以管理单位和账号。"), code=DirectoryRefused.FORBIDDEN)


def managed_accounts() -> QuerySet[User]:
    """The accounts the directory shows and changes: everyone but superusers and staff."""
    return get_user_model().objects.filter(is_superuser=False, is_staff=False)


def _refuse_outside(actor, account: User) -> None:
    if account.is_superuser or account.is_staff:
        raise DirectoryRefused(_("系统管理员账号不在这里管理。"), code=DirectoryRefused.FORBIDDEN)
    if actor is not None and account.pk == actor.pk:
        raise DirectoryRefused(_("不能修改自己的账号或角色；请由另一位管理员办理。"), code=DirectoryRefused.FORBIDDEN)


# --- units -------------------------------------------------------------------------------------------------


def units() -> QuerySet[Unit]:
    """Every unit with its department and how many people hold a role in it, in name order."""
    return Unit.objects.select_related("parent").annotate(people=Count("memberships__user", distinct=True))


def save_unit(actor, unit: Unit) -> Unit:
    """Create or change a unit (a form's cleaned instance)."""
    _require_manager(actor)
    if reason := signals.unit_change_refusal(unit):
        raise DirectoryRefused(reason, field="name")
    unit.save()
    return unit


# --- roles ---------------------------------------------------------------------------------------------------


def members(unit: Unit) -> QuerySet[Membership]:
    return unit.memberships.select_related("user").order_by("role", "user__username")


def role_refusal(role: str, unit: Unit) -> str:
    """Why `role` does not belong to this kind of unit, or "" (the one rule of grant and import_accounts)."""
    if role == Role.ADMIN and unit.kind != Unit.Kind.FINANCE:
        return _("“管理员”角色只属于财政单位。")
    if role == Role.REVIEWER and unit.kind == Unit.Kind.IMPLEMENTING:
        return _("审核人属于主管部门，请选择主管部门。")
    if role == Role.PREPARER and unit.kind == Unit.Kind.FINANCE:
        return _("财政单位不填报自评表，请选择实施单位或主管部门。")
    return ""


def grant(actor, account: User, unit: Unit, role: str) -> Membership:
    _require_manager(actor)
    _refuse_outside(actor, account)
    if reason := role_refusal(role, unit):
        raise DirectoryRefused(reason, field="role")
    try:
        with transaction.atomic():
            membership = Membership.objects.create(user=account, unit=unit, role=role)
    except IntegrityError:
        raise DirectoryRefused(
            _("%(user)s 已经是%(unit)s的%(role)s。")
            % {"user": account.username, "unit": unit.name, "role": Role(role).label},
            field="username",
        ) from None
    return membership


def revoke(actor, membership: Membership) -> None:
    _require_manager(actor)
    _refuse_outside(actor, membership.user)
    membership.delete()


# --- accounts ----------------------------------------------------------------------------------------------


def accounts(query: str = "") -> QuerySet[User]:
    """The managed accounts, with the number of roles each holds, by username; `query` matches name or username."""
    found = managed_accounts().annotate(roles=Count("memberships")).order_by("username")
    if query:
        found = found.filter(Q(username__icontains=query) | Q(first_name__icontains=query))
    return found


def create_account(actor, *, username: str, full_name: str, email: str, request) -> User:
    """A new account without a usable password; its owner sets one through the e-mail sent when it commits."""
    _require_manager(actor)
    return _new_account(username=username, full_name=full_name, email=email, request=request)


def _new_account(*, username: str, full_name: str, email: str, request) -> User:
    account = get_user_model()(username=username, first_name=full_name, email=email)
    account.set_unusable_password()
    account.save()
    if request is not None:
        # After the commit: a rolled-back account must not have been mailed a link.
        transaction.on_commit(lambda: send_password_mail(account, request))
    return account


class _SetPasswordMail(PasswordResetForm):
    """Django's password reset e-mail for one account, worded as the invitation to set a first password. (The
    reset form itself mails only accounts that have a usable password; a new account has none yet.)"""

    def __init__(self, account: User) -> None:
        super().__init__({"email": account.email})
        self.account = account

    def get_users(self, email):
        return [self.account] if self.account.is_active and self.account.email else []


def send_password_mail(account: User, request) -> None:
    form = _SetPasswordMail(account)
    if form.is_valid():
        form.save(
            request=request,
            use_https=request.is_secure(),
            subject_template_name="registration/set_password_subject.txt",
            email_template_name="registration/set_password_email.txt",
        )


def resend_password_mail(actor, account: User, request) -> None:
    _require_manager(actor)
    _refuse_outside(actor, account)
    if not account.email:
        raise DirectoryRefused(_("这个账号没有电子邮箱，无法发送设置密码的邮件。"), field="email")
    send_password_mail(account, request)


def set_active(actor, account: User, active: bool) -> User:
    _require_manager(actor)
    _refuse_outside(actor, account)
    account.is_active = active
    account.save(update_fields=["is_active"])
    return account


# --- an account list (projects.accountlist) ----------------------------------------------------------------


@dataclass
class ImportedAccounts:
    created: int  # new accounts
    granted: int  # roles added (a role the account held already is not counted)
    existing: int  # accounts of the file that were there already


def import_accounts(actor, rows: list[accountlist.AccountRow], *, request=None) -> ImportedAccounts:
    """Create the new accounts of an account list and grant its roles, all or nothing; ImportRefused names every
    row that cannot be written. `actor` None is the command line (manage.py import_users). The 设置密码 mail is
    sent only with a `request`: its link is built from the request's host."""
    if actor is not None:
        _require_manager(actor)
    try:
        with transaction.atomic():
            plan = _AccountPlan(actor, rows)
            if plan.problems:
                raise ImportRefused(plan.problems)
            return plan.write(request)
    except IntegrityError:
        # Another administrator created one of the accounts, or granted one of the roles, since the check.
        raise ImportRefused([_("导入时这些账号或角色正被他人修改，没有导入；请重新导入。")]) from None


# Names per IN (...): SQLite bounds the variables of one statement, and a list may have 5,000 rows.
_CHUNK = 500


def _chunked(queryset, lookup: str, values) -> list:
    values = sorted(values)
    return [x for i in range(0, len(values), _CHUNK) for x in queryset.filter(**{lookup: values[i : i + _CHUNK]})]


class _AccountPlan:
    """An account list checked against the directory in memory (a few queries for any length), then written."""

    def __init__(self, actor, rows: list[accountlist.AccountRow]):
        self.rows = rows
        self._found: list[tuple[int, str]] = []  # (row index, problem): listed in the file's order
        self.units = {u.name: u for u in _chunked(Unit.objects.all(), "name__in", {r.unit for r in rows})}
        self.accounts = {
            a.username: a for a in _chunked(get_user_model().objects.all(), "username__in", {r.username for r in rows})
        }
        self.held = set(
            _chunked(
                Membership.objects.values_list("user_id", "unit_id", "role"),
                "user_id__in",
                {a.pk for a in self.accounts.values()},
            )
        )
        # username -> {"index"/"where": its first row, "full_name": …, "email": …} of the accounts to create
        self.new: dict[str, dict] = {}
        self._check(actor)
        self.problems = [problem for _index, problem in sorted(self._found, key=lambda found: found[0])]

    def _problem(self, index: int, where: str, message: str) -> None:
        self._found.append((index, f"{where}：{message}"))

    def _check(self, actor) -> None:
        for index, row in enumerate(self.rows):
            unit = self.units.get(row.unit)
            if unit is None:
                self._problem(
                    index,
                    row.cell("unit"),
                    _("系统中没有单位“%(name)s”（名称须完全一致），请先在“单位”页面新建") % {"name": row.unit},
                )
            elif reason := role_refusal(row.role, unit):
                self._problem(index, row.cell("role"), reason)
            account = self.accounts.get(row.username)
            if account is None:
                given = self.new.setdefault(
                    row.username, {"index": index, "where": row.where, "full_name": "", "email": ""}
                )
                given["full_name"] = given["full_name"] or row.full_name
                given["email"] = given["email"] or row.email
                continue
            try:
                _refuse_outside(actor, account)
            except DirectoryRefused as refused:
                self._problem(index, row.cell("username"), refused.message)
                continue
            self._compare(index, row, "full_name", account.first_name, account.get_full_name())
            self._compare(index, row, "email", account.email)
        for username, given in self.new.items():
            for field in ("full_name", "email"):
                if not given[field]:
                    self._problem(
                        given["index"],
                        f"{given['where']}的“{accountlist.LABELS[field]}”",
                        _("“%(user)s”是新账号，必须填写%(what)s")
                        % {"user": username, "what": accountlist.LABELS[field]},
                    )

    def _compare(self, index: int, row: accountlist.AccountRow, field: str, stored: str, *also: str) -> None:
        """A cell of an existing account must say what the directory holds, or be blank: never overwritten."""
        given = getattr(row, field)
        if not given or any(accountlist.same_value(field, value, given) for value in (stored, *also)):
            return
        self._problem(
            index,
            row.cell(field),
            _("与系统中账号“%(user)s”的%(what)s“%(stored)s”不一致；导入不修改已有账号，请改为一致或留空")
            % {"user": row.username, "what": accountlist.LABELS[field], "stored": stored or _("（未填）")},
        )

    def write(self, request) -> ImportedAccounts:
        existing = len(self.accounts)
        for username, given in self.new.items():
            self.accounts[username] = _new_account(
                username=username, full_name=given["full_name"], email=given["email"], request=request
            )
        granted = 0
        for row in self.rows:
            account, unit = self.accounts[row.username], self.units[row.unit]
            if (account.pk, unit.pk, row.role) in self.held:
                continue  # held already: the file may list everyone, old and new
            Membership.objects.create(user=account, unit=unit, role=row.role)
            self.held.add((account.pk, unit.pk, row.role))
            granted += 1
        return ImportedAccounts(created=len(self.new), granted=granted, existing=existing)
