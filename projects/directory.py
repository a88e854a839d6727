"""单位与账号: the 财政 administrator's directory of units, accounts and roles, on the product's own pages.

Every change is a function here, called by projects.views.directory, and each refuses with a message:
- only a 财政 administrator (or a superuser) changes the directory;
- nobody grants, changes or takes away their own roles, or deactivates their own account (another administrator
  does it: no role escalates itself);
- superuser and staff accounts are outside the directory: only a superuser manages them, in the Django admin;
- a new account gets its password from the person it belongs to, through a 设置密码 e-mail (Django's password
  reset), never from the administrator, who therefore cannot sign in as the people it manages;
- a unit whose name approved forms print is not renamed (projects.signals.unit_change_refusal).
Unit and Membership keep their history (django-simple-history, with the acting user).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from . import access, signals
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


def grant(actor, account: User, unit: Unit, role: str) -> Membership:
    _require_manager(actor)
    _refuse_outside(actor, account)
    if role == Role.ADMIN and unit.kind != Unit.Kind.FINANCE:
        raise DirectoryRefused(_("“管理员”角色只属于财政单位。"), field="role")
    if role == Role.REVIEWER and unit.kind == Unit.Kind.IMPLEMENTING:
        raise DirectoryRefused(_("审核人属于主管部门，请选择主管部门。"), field="role")
    if role == Role.PREPARER and unit.kind == Unit.Kind.FINANCE:
        raise DirectoryRefused(_("财政单位不填报自评表，请选择实施单位或主管部门。"), field="role")
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
    account = get_user_model()(username=username, first_name=full_name, email=email)
    account.set_unusable_password()
    account.save()
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
