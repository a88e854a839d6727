"""单位与账号: the 财政 administrator manages units, accounts and roles on the product's pages, within its role."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects import access, directory
from projects.models import Membership, SelfAssessment, Unit

from .factories import UserFactory, member

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def office(client, admin_user):
    """The 财政 administrator's browser."""
    client.force_login(admin_user)
    return client


def test_the_unit_list_pages_in_sql_and_its_queries_do_not_grow(office, department):
    for i in range(30):
        unit = Unit.objects.create(name=f"测试实施单位{i:02d}", kind=Unit.Kind.IMPLEMENTING, parent=department)
        member(UserFactory(username=f"clerk{i:02d}"), unit, "preparer")

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert office.get(url).status_code == 200
        return len(queries)

    small = count(reverse("directory_units") + "?q=测试实施单位0")
    large = count(reverse("directory_units"))
    assert small == large
    page = office.get(reverse("directory_units") + "?q=单位29").content.decode()
    assert "测试实施单位29" in page and "测试实施单位28" not in page


def test_a_unit_is_created_and_an_implementing_unit_needs_its_department(office, department):
    response = office.post(reverse("directory_units"), {"name": "新实施单位", "kind": "implementing"})
    assert response.status_code == 400 and "实施单位必须隶属于一个主管部门" in response.content.decode()
    assert not Unit.objects.filter(name="新实施单位").exists()
    response = office.post(
        reverse("directory_units"), {"name": "新实施单位", "kind": "implementing", "parent": department.pk}
    )
    unit = Unit.objects.get(name="新实施单位")
    assert response["Location"] == reverse("directory_unit", args=[unit.pk])
    assert unit.parent == department and unit.history.get().history_user is not None


def test_a_unit_whose_name_approved_forms_print_is_not_renamed(office, assessment, unit, department):
    SelfAssessment.objects.filter(pk=assessment.pk).update(status=SelfAssessment.Status.APPROVED)
    response = office.post(
        reverse("directory_unit", args=[unit.pk]),
        {"action": "save", "name": "改过的名字", "kind": "implementing", "parent": department.pk},
    )
    assert response.status_code == 400 and "不能改名" in response.content.decode()
    unit.refresh_from_db()
    assert unit.name != "改过的名字"


def test_roles_are_granted_and_revoked_and_the_role_changes_what_the_account_may_do(office, department, unit):
    clerk = UserFactory(username="clerk")
    response = office.post(
        reverse("directory_unit", args=[department.pk]), {"action": "grant", "username": "clerk", "role": "reviewer"}
    )
    assert response.status_code == 302
    assert access.is_reviewer(User.objects.get(pk=clerk.pk))
    membership = Membership.objects.get(user=clerk)
    office.post(reverse("directory_revoke", args=[department.pk, membership.pk]))
    assert not Membership.objects.filter(user=clerk).exists()
    assert not access.is_reviewer(User.objects.get(pk=clerk.pk))


@pytest.mark.parametrize(
    ("unit_name", "role", "message"),
    [
        ("department", "admin", "“管理员”角色只属于财政单位"),
        ("unit", "reviewer", "审核人属于主管部门"),
        ("finance_unit", "preparer", "财政单位不填报自评表"),
    ],
)
def test_a_role_belongs_to_its_kind_of_unit(request, office, admin_user, unit_name, role, message):
    target = admin_user.memberships.get().unit if unit_name == "finance_unit" else request.getfixturevalue(unit_name)
    UserFactory(username="clerk")
    response = office.post(
        reverse("directory_unit", args=[target.pk]), {"action": "grant", "username": "clerk", "role": role}
    )
    assert response.status_code == 400 and message in response.content.decode()
    assert not Membership.objects.filter(user__username="clerk").exists()


def test_nobody_grants_or_revokes_their_own_roles(office, admin_user, department):
    response = office.post(
        reverse("directory_unit", args=[department.pk]),
        {"action": "grant", "username": admin_user.username, "role": "reviewer"},
    )
    assert response.status_code == 400 and "不能修改自己的账号或角色" in response.content.decode()
    own = admin_user.memberships.get()
    office.post(reverse("directory_revoke", args=[own.unit_id, own.pk]))
    assert Membership.objects.filter(pk=own.pk).exists()
    with pytest.raises(directory.DirectoryRefused):
        directory.set_active(admin_user, admin_user, False)


def test_superuser_and_staff_accounts_are_outside_the_directory(office, department):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    assert "root" not in office.get(reverse("directory_accounts")).content.decode()
    response = office.post(
        reverse("directory_unit", args=[department.pk]), {"action": "grant", "username": "root", "role": "reviewer"}
    )
    assert response.status_code == 400 and "没有账号“root”" in response.content.decode()
    office.post(reverse("directory_account_action", args=[root.pk]), {"action": "deactivate"})
    root.refresh_from_db()
    assert root.is_active


def test_a_new_account_sets_its_own_password_through_the_mailed_link(office, django_capture_on_commit_callbacks):
    from django.test import Client

    with django_capture_on_commit_callbacks(execute=True):  # the mail leaves once the account is committed
        response = office.post(
            reverse("directory_accounts"),
            {"username": "newclerk", "first_name": "新同事", "email": "new@example.gov.cn"},
        )
    assert response.status_code == 302
    account = User.objects.get(username="newclerk")
    assert not account.has_usable_password() and not account.is_staff and not account.is_superuser
    [message] = mail.outbox
    assert message.to == ["new@example.gov.cn"] and "newclerk" in message.body
    link = re.search(r"https?://[^/\s]+(/password/\S+/)", message.body).group(1)
    anonymous = Client()
    form_page = anonymous.get(link, follow=True)
    assert form_page.status_code == 200 and form_page.context["validlink"]
    done = anonymous.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
        {"new_password1": "Minhang-2026-long", "new_password2": "Minhang-2026-long"},
    )
    assert done["Location"] == reverse("password_reset_complete")
    signed_in = anonymous.post(reverse("login"), {"username": "newclerk", "password": "Minhang-2026-long"})
    assert signed_in.status_code == 302 and signed_in["Location"] == "/"
    used = anonymous.get(link, follow=True)
    assert not used.context["validlink"]  # once only


def test_an_account_without_e_mail_gets_no_mail_and_a_message(office):
    UserFactory(username="nomail", email="")
    clerk = User.objects.get(username="nomail")
    response = office.post(reverse("directory_account_action", args=[clerk.pk]), {"action": "mail"}, follow=True)
    assert "没有电子邮箱" in response.content.decode() and not mail.outbox


def test_an_account_is_deactivated_and_activated_again(office, preparer):
    office.post(reverse("directory_account_action", args=[preparer.pk]), {"action": "deactivate"})
    preparer.refresh_from_db()
    assert not preparer.is_active and not access.is_preparer(preparer)
    office.post(reverse("directory_account_action", args=[preparer.pk]), {"action": "activate"})
    preparer.refresh_from_db()
    assert preparer.is_active


def test_only_the_finance_administrator_sees_the_directory_in_the_navigation(client_for, admin_user, reviewer):
    assert reverse("directory_units") in client_for(admin_user).get(reverse("dashboard")).content.decode()
    assert reverse("directory_units") not in client_for(reviewer).get(reverse("dashboard")).content.decode()


# --- 忘记密码 ----------------------------------------------------------------------------------------------


def test_a_forgotten_password_is_reset_by_mail(client, preparer, mailoutbox):
    preparer.email = "preparer@example.gov.cn"
    preparer.save()
    assert "忘记密码" in client.get(reverse("login")).content.decode()
    response = client.post(reverse("password_reset"), {"email": "preparer@example.gov.cn"})
    assert response.url == reverse("password_reset_done")
    (mail,) = mailoutbox
    assert mail.to == ["preparer@example.gov.cn"] and "重新设置密码" in mail.subject
    link = next(line for line in mail.body.splitlines() if "/password/" in line)
    form = client.get(link.split("testserver", 1)[1], follow=True)
    assert form.status_code == 200 and "new_password1" in form.content.decode()


def test_an_unknown_address_gets_no_mail_and_the_same_answer(client, preparer, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.gov.cn"})
    assert response.url == reverse("password_reset_done") and mailoutbox == []
