"""单位与账号: the 财政 administrator's pages for units, accounts and roles (projects.directory decides).

Thin views: the role check (403 for anyone else), one service call, render. Lists sort and page in SQL.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import accountlist, directory
from ..collation import Pinyin
from ..forms import AccountForm, AccountImportForm, MemberForm, UnitForm
from ..interchange import ImportRefused
from ..models import Membership, Unit
from ..paging import page_of

PER_PAGE = 50


def _manager(request) -> None:
    if not directory.may_manage(request.user):
        raise PermissionDenied(_("只有财政管理员可以管理单位和账号。"))


def _query(request) -> str:
    return request.GET.get("q", "").strip()[:100]


@login_required
@require_http_methods(["GET", "POST"])
def units(request):
    _manager(request)
    form = UnitForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            unit = directory.save_unit(request.user, form.instance)
        except directory.DirectoryRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("已新建单位“%(name)s”。") % {"name": unit.name})
            return redirect("directory_unit", pk=unit.pk)
    query = _query(request)
    found = directory.units().order_by(Pinyin("name"), "pk")
    if query:
        found = found.filter(name__icontains=query)
    page = page_of(found, request.GET.get("page"), PER_PAGE)
    return render(
        request,
        "directory/units.html",
        {"page": page, "form": form, "query": query},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def unit(request, pk):
    _manager(request)
    found = get_object_or_404(Unit.objects.select_related("parent"), pk=pk)
    unit_form = UnitForm(request.POST if request.POST.get("action") == "save" else None, instance=found)
    member_form = MemberForm(request.POST if request.POST.get("action") == "grant" else None)
    if unit_form.is_bound and unit_form.is_valid():
        try:
            directory.save_unit(request.user, unit_form.instance)
        except directory.DirectoryRefused as refused:
            unit_form.add_error(None, refused.message)
        else:
            messages.success(request, _("单位信息已保存。"))
            return redirect("directory_unit", pk=found.pk)
    if member_form.is_bound and member_form.is_valid():
        try:
            directory.grant(request.user, member_form.account, found, member_form.cleaned_data["role"])
        except directory.DirectoryRefused as refused:
            member_form.add_error(None, refused.message)
        else:
            messages.success(request, _("已添加 %(user)s。") % {"user": member_form.account.username})
            return redirect("directory_unit", pk=found.pk)
    if unit_form.is_bound:
        found.refresh_from_db()  # the heading shows the stored name, not the refused one
    bound = unit_form.is_bound or member_form.is_bound
    return render(
        request,
        "directory/unit.html",
        {"unit": found, "unit_form": unit_form, "member_form": member_form, "members": directory.members(found)},
        status=400 if bound else 200,
    )


@login_required
@require_POST
def revoke(request, pk, membership_pk):
    _manager(request)
    membership = get_object_or_404(Membership.objects.select_related("user", "unit"), pk=membership_pk, unit_id=pk)
    try:
        directory.revoke(request.user, membership)
    except directory.DirectoryRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("已取消 %(user)s 的%(role)s角色。")
            % {"user": membership.user.username, "role": membership.get_role_display()},
        )
    return redirect("directory_unit", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def accounts(request):
    _manager(request)
    form = AccountForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        account = directory.create_account(
            request.user,
            username=data["username"],
            full_name=data["first_name"],
            email=data["email"],
            request=request,
        )
        messages.success(
            request,
            _("已新建账号 %(user)s，设置密码的邮件已发到 %(email)s。请到单位页面为其添加角色。")
            % {"user": account.username, "email": account.email},
        )
        return redirect("directory_accounts")
    return _accounts_page(request, form=form, status=400 if form.is_bound else 200)


def _accounts_page(request, *, form=None, import_form=None, problems=(), status=200):
    query = _query(request)
    page = page_of(directory.accounts(query), request.GET.get("page"), PER_PAGE)
    context = {
        "page": page,
        "form": AccountForm() if form is None else form,
        "import_form": AccountImportForm() if import_form is None else import_form,
        "problems": problems,
        "query": query,
    }
    return render(request, "directory/accounts.html", context, status=status)


@login_required
@require_POST
def accounts_import(request):
    _manager(request)
    form = AccountImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _accounts_page(request, import_form=form, status=400)
    upload = form.cleaned_data["file"]
    try:
        rows = accountlist.read_workbook(upload, name=upload.name)
        result = directory.import_accounts(request.user, rows, request=request)
    except ImportRefused as refused:
        return _accounts_page(request, import_form=form, problems=refused.problems, status=400)
    except directory.DirectoryRefused as refused:
        return _accounts_page(request, import_form=form, problems=[refused.message], status=400)
    text = _("账号已导入：新建 %(created)s 个，已有 %(existing)s 个；添加角色 %(granted)s 个。") % {
        "created": result.created,
        "existing": result.existing,
        "granted": result.granted,
    }
    if result.created:
        text += _("设置密码的邮件已发到新账号的电子邮箱。")
    messages.success(request, text)
    return redirect("directory_accounts")


@login_required
@require_GET
def accounts_template(request):
    _manager(request)
    response = HttpResponse(
        accountlist.template_workbook(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = content_disposition_header(True, "账号清单.xlsx")
    return response


@login_required
@require_POST
def account_action(request, pk):
    _manager(request)
    account = get_object_or_404(get_user_model(), pk=pk)
    action = request.POST.get("action")
    try:
        if action == "mail":
            directory.resend_password_mail(request.user, account, request)
            messages.success(request, _("设置密码的邮件已发到 %(email)s。") % {"email": account.email})
        elif action in ("activate", "deactivate"):
            directory.set_active(request.user, account, action == "activate")
            messages.success(
                request,
                (_("已启用 %(user)s。") if action == "activate" else _("已停用 %(user)s，此账号不能再登录。"))
                % {"user": account.username},
            )
        else:
            messages.error(request, _("不认识的操作。"))
    except directory.DirectoryRefused as refused:
        messages.error(request, refused.message)
    return redirect("directory_accounts")
