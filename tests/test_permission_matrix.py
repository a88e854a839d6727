"""Every view and action of the product × every role × own unit / other unit: the exact answer, no leak.

The table below is the product's permission contract. Each row names a route, how to call it, the state the
form must be in, and the status code each role gets for a form of its own unit and of the other unit. For
every cell the test also proves that:
- nothing of a form the role may not see appears in the answer (HTML, JSON, Excel or PDF),
- a refused or failed request wrote nothing (status, version, history rows, workflow log, attachments),
- a request that should write did write.
`test_every_route_is_in_the_matrix` enumerates the URL resolver: a new route of the `projects` app fails the
suite until it has a row here.
"""

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from projects.models import Attachment, FundingLine, Indicator, PrintJob, SelfAssessment, StatusChange

from .factories import ProjectFactory, complete_assessment

Status = SelfAssessment.Status
ROLES = ("preparer", "reviewer", "admin_user", "outsider", "other_reviewer", "anonymous")
OWN, OTHER = "own", "other"
OWN_NAME, OTHER_NAME = "本单位的矩阵项目", "外单位的矩阵项目"
# Who may see which form (access.visible_assessments): the other names must never appear in an answer.
SEES = {
    "preparer": {OWN},
    "reviewer": {OWN},
    "admin_user": {OWN, OTHER},
    "outsider": {OTHER},
    "other_reviewer": {OTHER},
    "anonymous": set(),
}
LOGIN = "login"  # a redirect to the login page


def blank_pdf() -> bytes:
    from pypdf import PdfWriter

    writer, out = PdfWriter(), io.BytesIO()
    writer.add_blank_page(width=595, height=842)
    writer.write(out)
    return out.getvalue()


PDF = blank_pdf()


def by_role(**codes):
    """by_role(preparer=(own, other), ...): the expected answer per role; anonymous users go to the login page."""
    codes.setdefault("anonymous", (LOGIN, LOGIN))
    assert set(codes) == set(ROLES), set(ROLES) - set(codes)
    return codes


def same(code):
    """The same answer for both targets (pages that are not about one form)."""
    return (code, code)


def visible(ok=200):
    """The answer of a page that shows a form to whoever may see it, 404 to everyone else."""
    return by_role(
        preparer=(ok, 404),
        reviewer=(ok, 404),
        admin_user=(ok, ok),
        outsider=(404, ok),
        other_reviewer=(404, ok),
    )


def pk_of(world, form):
    return {"pk": form.pk}


def attachment_of(world, form):
    return {"pk": form.pk, "attachment_pk": form.attachments.get().pk}


def nothing(world, form):
    return {}


def year_of(world, form):
    return {"year": form.year}


def job_of(world, form):
    """The finished batch print of the form's unit, requested by a preparer of that unit."""
    return {"pk": world["jobs"][form.pk].pk}


def batch_of(world, form):
    return {"unit": form.project.implementing_unit_id, "year": form.year, "statuses": [s.value for s in Status]}


def version_and(**extra):
    return lambda world, form: {"version": form.version, **extra}


def upload(world, form):
    return {"files": ContentFile(PDF, name="补充证明.pdf")}


@dataclass(frozen=True)
class Case:
    name: str
    expect: dict
    method: str = "GET"
    state: str = Status.DRAFT
    kwargs: Callable = pk_of
    data: Callable = nothing
    writers: frozenset = frozenset()  # (role, target) pairs whose request changes the form
    per_form: bool = True  # False: the page is not about one form (own/other give the same answer)
    shows_form: bool = False  # a 200 answer names the form (proves the leak check can read this format)
    headers: dict = field(default_factory=dict)

    @property
    def id(self):
        return f"{self.name}-{self.method}"


def writers(*pairs):
    return frozenset(pairs)


REVIEWERS_ACT = writers(("reviewer", OWN), ("other_reviewer", OTHER))
PREPARERS_ACT = writers(("preparer", OWN), ("outsider", OTHER))
REVIEW_ACTION = by_role(
    preparer=(403, 404),
    reviewer=(302, 404),
    admin_user=(403, 403),
    outsider=(404, 403),
    other_reviewer=(404, 302),
)
NOT_PREPARER = 403  # pages that only preparers use answer a 403 that says so
PREPARERS_ONLY = by_role(
    preparer=same(200),
    reviewer=same(NOT_PREPARER),
    admin_user=same(NOT_PREPARER),
    outsider=same(200),
    other_reviewer=same(NOT_PREPARER),
)
EVERYONE = by_role(
    preparer=same(200),
    reviewer=same(200),
    admin_user=same(200),
    outsider=same(200),
    other_reviewer=same(200),
)

CASES = [
    # --- sign in and out, the dashboard -----------------------------------------------------------------
    Case(
        "login", per_form=False, kwargs=nothing, expect={**{role: same(302) for role in ROLES}, "anonymous": same(200)}
    ),
    Case("logout", method="POST", per_form=False, kwargs=nothing, expect={role: same(302) for role in ROLES}),
    Case("dashboard", per_form=False, kwargs=nothing, expect=EVERYONE),
    # The load balancer's probe answers anyone, and says nothing but "ok".
    Case("healthz", per_form=False, kwargs=nothing, expect={role: same(200) for role in ROLES}),
    # --- the preparer's pages -----------------------------------------------------------------
    Case("assessment_new", per_form=False, kwargs=nothing, expect=PREPARERS_ONLY),
    Case("assessment_edit", expect=visible(), shows_form=True),
    # An empty post is invalid (422) for the unit's preparer; everyone else is refused before validation.
    Case(
        "assessment_edit",
        method="POST",
        expect=by_role(
            preparer=(422, 404),
            reviewer=(403, 404),
            admin_user=(403, 403),
            outsider=(404, 422),
            other_reviewer=(404, 403),
        ),
    ),
    Case(
        "assessment_preview",
        method="POST",
        expect=by_role(
            preparer=(200, 404),
            reviewer=(403, 404),
            admin_user=(403, 403),
            outsider=(404, 200),
            other_reviewer=(404, 403),
        ),
    ),
    # --- 审核 ---------------------------------------------------------------------------------
    Case(
        "review_queue",
        per_form=False,
        kwargs=nothing,
        expect=by_role(
            preparer=same(403), reviewer=same(200), admin_user=same(200), outsider=same(403), other_reviewer=same(200)
        ),
    ),
    Case("review_detail", state=Status.SUBMITTED, expect=visible(), shows_form=True),
    Case(
        "review_approve",
        method="POST",
        state=Status.SUBMITTED,
        data=version_and(comment="同意"),
        expect=REVIEW_ACTION,
        writers=REVIEWERS_ACT,
    ),
    Case(
        "review_return",
        method="POST",
        state=Status.SUBMITTED,
        data=version_and(comment="请修改"),
        expect=REVIEW_ACTION,
        writers=REVIEWERS_ACT,
    ),
    Case(
        "review_record",
        method="POST",
        state=Status.SUBMITTED,
        data=version_and(review_score="88", review_opinion="基本同意"),
        expect=REVIEW_ACTION,
        writers=REVIEWERS_ACT,
    ),
    Case(
        "review_reopen",
        method="POST",
        state=Status.APPROVED,
        data=version_and(comment="更正执行数"),
        expect=by_role(
            preparer=(403, 404),
            reviewer=(403, 404),
            admin_user=(302, 302),
            outsider=(404, 403),
            other_reviewer=(404, 403),
        ),
        writers=writers(("admin_user", OWN), ("admin_user", OTHER)),
    ),
    # Several forms at once: only a reviewer decides, and only forms of their own queue (another's are ignored).
    Case(
        "review_batch_approve",
        method="POST",
        state=Status.SUBMITTED,
        kwargs=nothing,
        data=lambda world, form: {"pick": [form.pk], f"version-{form.pk}": form.version, "confirm": "1"},
        expect=by_role(
            preparer=same(403), reviewer=same(302), admin_user=same(403), outsider=same(403), other_reviewer=same(302)
        ),
        writers=REVIEWERS_ACT,
    ),
    Case(
        "review_batch_return",
        method="POST",
        state=Status.SUBMITTED,
        kwargs=nothing,
        data=lambda world, form: {
            "pick": [form.pk],
            f"version-{form.pk}": form.version,
            f"comment-{form.pk}": "请修改",
            "confirm": "1",
        },
        expect=by_role(
            preparer=same(403), reviewer=same(302), admin_user=same(403), outsider=same(403), other_reviewer=same(302)
        ),
        writers=REVIEWERS_ACT,
    ),
    Case(
        "review_compare",
        state=Status.SUBMITTED,
        per_form=False,
        kwargs=nothing,
        expect=by_role(
            preparer=same(403), reviewer=same(200), admin_user=same(200), outsider=same(403), other_reviewer=same(200)
        ),
    ),
    Case("assessment_history", expect=visible(), shows_form=True),
    # An approved form's history is still everyone's to read who may see the form.
    Case("assessment_history", state=Status.APPROVED, expect=visible(), shows_form=True),
    # --- 汇总表, Excel, JSON, 佐证材料 ----------------------------------------------------------
    Case("reports_summary", per_form=False, kwargs=nothing, expect=EVERYONE),
    Case("reports_summary_xlsx", per_form=False, kwargs=nothing, expect=EVERYONE),
    Case("reports_forms_xlsx", per_form=False, kwargs=nothing, expect=EVERYONE),
    Case("assessment_xlsx", expect=visible(), shows_form=True),
    Case("excel_template", per_form=False, kwargs=nothing, expect=EVERYONE),
    Case("excel_import", per_form=False, kwargs=nothing, expect=PREPARERS_ONLY),
    # An empty upload is invalid (400) for a preparer; others are refused before looking at it.
    Case(
        "excel_import",
        method="POST",
        per_form=False,
        kwargs=nothing,
        expect=by_role(
            preparer=same(400), reviewer=same(403), admin_user=same(403), outsider=same(400), other_reviewer=same(403)
        ),
    ),
    Case("json_upload", per_form=False, kwargs=nothing, expect=PREPARERS_ONLY),
    Case(
        "json_upload",
        method="POST",
        per_form=False,
        kwargs=nothing,
        expect=by_role(
            preparer=same(400), reviewer=same(403), admin_user=same(403), outsider=same(400), other_reviewer=same(403)
        ),
    ),
    Case("attachment_list", expect=visible(), shows_form=True),
    # Refused uploads and deletions inside the scope go back to the list with the reason (302, nothing
    # written); outside the scope the form does not exist (404).
    Case(
        "attachment_list",
        method="POST",
        data=upload,
        expect=by_role(
            preparer=(302, 404),
            reviewer=(302, 404),
            admin_user=(302, 302),
            outsider=(404, 302),
            other_reviewer=(404, 302),
        ),
        writers=PREPARERS_ACT,
    ),
    Case(
        "attachment_list",
        method="POST",
        state=Status.APPROVED,
        data=upload,
        expect=by_role(
            preparer=(302, 404),
            reviewer=(302, 404),
            admin_user=(302, 302),
            outsider=(404, 302),
            other_reviewer=(404, 302),
        ),
    ),
    Case("attachment_download", kwargs=attachment_of, expect=visible()),
    Case(
        "attachment_delete",
        method="POST",
        kwargs=attachment_of,
        expect=by_role(
            preparer=(302, 404),
            reviewer=(302, 404),
            admin_user=(302, 302),
            outsider=(404, 302),
            other_reviewer=(404, 302),
        ),
        writers=PREPARERS_ACT,
    ),
    Case(
        "attachment_delete",
        method="POST",
        state=Status.APPROVED,
        kwargs=attachment_of,
        expect=by_role(
            preparer=(302, 404),
            reviewer=(302, 404),
            admin_user=(302, 302),
            outsider=(404, 302),
            other_reviewer=(404, 302),
        ),
    ),
]

CASES += [
    # --- 打印 -----------------------------------------------------------------------------------
    Case("assessment_pdf", expect=visible(), shows_form=True),
    Case("assessment_docx", expect=visible(), shows_form=True),
    Case("print_batch", per_form=False, kwargs=nothing, expect=EVERYONE),
    # A unit outside the user's scope is not a choice of the form (400, and nothing printed).
    Case(
        "print_batch",
        method="POST",
        kwargs=nothing,
        data=batch_of,
        expect=by_role(
            preparer=(200, 400),
            reviewer=(200, 400),
            admin_user=(200, 200),
            outsider=(400, 200),
            other_reviewer=(400, 200),
        ),
        shows_form=True,
    ),
    # A batch job is its requester's alone (own: the unit's preparer's; other: the other unit's preparer's).
    Case(
        "print_job",
        kwargs=job_of,
        expect=by_role(
            preparer=(200, 404),
            reviewer=(404, 404),
            admin_user=(404, 404),
            outsider=(404, 200),
            other_reviewer=(404, 404),
        ),
    ),
    Case(
        "print_job_download",
        kwargs=job_of,
        expect=by_role(
            preparer=(200, 404),
            reviewer=(404, 404),
            admin_user=(404, 404),
            outsider=(404, 200),
            other_reviewer=(404, 404),
        ),
    ),
    # The job is finished: its requester is told it needs no restart (back to the job, 302), nobody else sees it.
    Case(
        "print_job_restart",
        method="POST",
        kwargs=job_of,
        expect=by_role(
            preparer=(302, 404),
            reviewer=(404, 404),
            admin_user=(404, 404),
            outsider=(404, 302),
            other_reviewer=(404, 404),
        ),
    ),
]

CASES += [
    # --- 评分规则: the 财政 administrator's settings --------------------------------------------------------
    Case(
        "scoring_rules",
        per_form=False,
        kwargs=nothing,
        expect=by_role(
            preparer=same(403), reviewer=same(403), admin_user=same(302), outsider=same(403), other_reviewer=same(403)
        ),
    ),
    Case(
        "scoring_rules_year",
        per_form=False,
        kwargs=year_of,
        expect=by_role(
            preparer=same(403), reviewer=same(403), admin_user=same(200), outsider=same(403), other_reviewer=same(403)
        ),
    ),
    # An empty post is invalid (400) for the administrator; everyone else is refused before validation.
    Case(
        "scoring_rules_year",
        method="POST",
        per_form=False,
        kwargs=year_of,
        expect=by_role(
            preparer=same(403), reviewer=same(403), admin_user=same(400), outsider=same(403), other_reviewer=same(403)
        ),
    ),
    Case(
        "reevaluation_progress",
        per_form=False,
        kwargs=year_of,
        expect=by_role(
            preparer=same(403), reviewer=same(403), admin_user=same(200), outsider=same(403), other_reviewer=same(403)
        ),
    ),
]


def unit_of(world, form):
    return {"pk": form.project.implementing_unit_id}


def role_of(world, form):
    """The unit's preparer's role in it (the own unit's for OWN)."""
    membership = form.project.implementing_unit.memberships.get(role="preparer")
    return {"pk": membership.unit_id, "membership_pk": membership.pk}


def account_of(world, form):
    return {"pk": form.project.implementing_unit.memberships.get(role="preparer").user_id}


def reset_link(world, form):
    return {"uidb64": "MQ", "token": "set-password"}


def finance_answers(code):
    return by_role(
        preparer=same(403), reviewer=same(403), admin_user=same(code), outsider=same(403), other_reviewer=same(403)
    )


ONLY_FINANCE = finance_answers(200)
# Pages anyone reaches, signed in or not (the 设置密码 link's token is the key).
PUBLIC = {role: same(200) for role in ROLES}


CASES += [
    # --- 单位与账号: the 财政 administrator's directory; everybody else 403 --------------------------------
    Case("directory_units", per_form=False, kwargs=nothing, expect=ONLY_FINANCE),
    Case("directory_units", method="POST", per_form=False, kwargs=nothing, expect=finance_answers(400)),
    Case("directory_unit", kwargs=unit_of, expect=ONLY_FINANCE),
    Case(
        "directory_unit",
        method="POST",
        kwargs=unit_of,
        data=lambda w, f: {"action": "grant"},
        expect=finance_answers(400),
    ),
    Case("directory_revoke", method="POST", kwargs=role_of, expect=finance_answers(302)),
    Case("directory_accounts", per_form=False, kwargs=nothing, expect=ONLY_FINANCE),
    Case("directory_accounts", method="POST", per_form=False, kwargs=nothing, expect=finance_answers(400)),
    Case("directory_account_action", method="POST", kwargs=account_of, expect=finance_answers(302)),
    # A new account's 设置密码 link: public (the token is the key); a wrong token says the link is not valid.
    Case(
        "password_reset_confirm",
        per_form=False,
        kwargs=reset_link,
        expect=PUBLIC,
    ),
    # 忘记密码: anyone may ask; the mail goes only to the address of an active account.
    Case("password_reset", per_form=False, kwargs=nothing, expect=PUBLIC),
    Case("password_reset", method="POST", per_form=False, kwargs=nothing, expect=PUBLIC),
    Case("password_reset_done", per_form=False, kwargs=nothing, expect=PUBLIC),
    Case(
        "password_reset_complete",
        per_form=False,
        kwargs=nothing,
        expect=PUBLIC,
    ),
]


def task_of(world, form):
    """The 自评任务 of the form's project and year."""
    from projects.models import EvaluationTask

    return {"pk": EvaluationTask.objects.get_or_create(project=form.project, year=form.year)[0].pk}


WATCHERS = by_role(
    preparer=same(403), reviewer=same(200), admin_user=same(200), outsider=same(403), other_reviewer=same(200)
)

CASES += [
    # --- 自评任务: finance issues and adjusts; everyone follows its own units; the board is for finance and reviewers
    Case("campaign_home", per_form=False, kwargs=nothing, expect=by_role(**{r: same(302) for r in ROLES[:-1]})),
    Case("campaign_template", per_form=False, kwargs=nothing, expect=ONLY_FINANCE),
    Case("campaign_tasks", per_form=False, kwargs=year_of, expect=EVERYONE),
    Case("campaign_import", method="POST", per_form=False, kwargs=year_of, expect=finance_answers(400)),
    Case("campaign_from_projects", method="POST", per_form=False, kwargs=year_of, expect=finance_answers(302)),
    Case("campaign_deadlines", method="POST", per_form=False, kwargs=year_of, expect=finance_answers(302)),
    Case("campaign_board", per_form=False, kwargs=year_of, expect=WATCHERS),
    Case("campaign_board_xlsx", per_form=False, kwargs=year_of, expect=WATCHERS),
    Case("campaign_task_cancel", method="POST", kwargs=task_of, expect=finance_answers(302)),
    Case("campaign_task_restore", method="POST", kwargs=task_of, expect=finance_answers(302)),
    # The world's forms exist already: the unit's preparer is told so (a redirect), and nothing is written.
    Case(
        "campaign_task_start",
        method="POST",
        kwargs=task_of,
        expect=by_role(
            preparer=(302, 404),
            reviewer=(403, 404),
            admin_user=(403, 403),
            outsider=(404, 302),
            other_reviewer=(404, 403),
        ),
    ),
    # --- 单位与账号: importing accounts and roles
    Case("directory_accounts_import", method="POST", per_form=False, kwargs=nothing, expect=finance_answers(400)),
    Case("directory_accounts_template", per_form=False, kwargs=nothing, expect=ONLY_FINANCE),
]

# Routes of the app that are deliberately not in the table, with the reason.
NOT_IN_MATRIX: dict[str, str] = {}


def project_route_names():
    """Every named route included from projects.urls (the product's own; not the admin, not i18n)."""
    names = set()

    def walk(resolver, inside):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                module = (
                    entry.urlconf_name
                    if isinstance(entry.urlconf_name, str)
                    else getattr(entry.urlconf_name, "__name__", "")
                )
                walk(entry, inside or str(module).startswith("projects."))
            elif isinstance(entry, URLPattern) and inside and entry.name:
                names.add(entry.name)

    walk(get_resolver(), False)
    return names


def test_every_route_is_in_the_matrix():
    covered = {case.name for case in CASES} | set(NOT_IN_MATRIX)
    missing = sorted(project_route_names() - covered)
    assert not missing, f"routes without a row in the permission matrix: {missing}"
    stale = sorted({case.name for case in CASES} - project_route_names())
    assert not stale, f"rows for routes that no longer exist: {stale}"


def test_every_case_names_every_role():
    for case in CASES:
        assert set(case.expect) == set(ROLES), case.id


# --- the world ------------------------------------------------------------------------------------------


@pytest.fixture
def world(
    db,
    settings,
    tmp_path,
    unit,
    department,
    other_unit,
    other_department,
    preparer,
    reviewer,
    admin_user,
    outsider,
    other_reviewer,
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PERFEVAL_PRINT_ROOT = tmp_path / "print"
    forms = {
        OWN: complete_assessment(
            ProjectFactory(name=OWN_NAME, implementing_unit=unit, competent_department=department)
        ),
        OTHER: complete_assessment(
            ProjectFactory(name=OTHER_NAME, implementing_unit=other_unit, competent_department=other_department)
        ),
    }
    for form, uploader in ((forms[OWN], preparer), (forms[OTHER], outsider)):
        Attachment.objects.create(
            assessment=form,
            file=ContentFile(PDF, name="证明.pdf"),
            original_name="证明.pdf",
            content_type="application/pdf",
            size=len(PDF),
            uploaded_by=uploader,
        )
    jobs = {
        form.pk: PrintJob.objects.create(
            requested_by=requester,
            unit=form.project.implementing_unit,
            year=form.year,
            status=PrintJob.Status.DONE,
            total=1,
            done=1,
            pages=1,
            file=ContentFile(PDF, name="batch.pdf"),
        )
        for form, requester in ((forms[OWN], preparer), (forms[OTHER], outsider))
    }
    users = {
        "preparer": preparer,
        "reviewer": reviewer,
        "admin_user": admin_user,
        "outsider": outsider,
        "other_reviewer": other_reviewer,
        "anonymous": None,
    }
    return {"forms": forms, "users": users, "jobs": jobs}


def snapshot(form):
    """Everything a request could write about one form."""
    form = SelfAssessment.objects.get(pk=form.pk)
    return {
        "status": form.status,
        "version": form.version,
        "review": (form.review_score, form.review_opinion),
        "log": StatusChange.objects.filter(assessment=form).count(),
        "attachments": Attachment.objects.filter(assessment=form).count(),
        "history": sum(
            model.history.filter(**({"id": form.pk} if model is SelfAssessment else {"assessment_id": form.pk})).count()
            for model in (SelfAssessment, FundingLine, Indicator, Attachment)
        ),
    }


def text_of(response) -> str:
    """The words of any answer: HTML, JSON, an .xlsx workbook (its XML parts) or a PDF (its text)."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response.get("Content-Type", "")
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist() if n.endswith(".xml"))
    if body[:5] == b"%PDF-":
        from pypdf import PdfReader

        return "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)
    if "json" in kind:
        return json.dumps(json.loads(body), ensure_ascii=False)
    return body.decode("utf-8", "replace")


def put_in_state(form, status):
    SelfAssessment.objects.filter(pk=form.pk).update(status=status)


CELLS = [
    pytest.param(case, role, target, id=f"{case.id}-{role}-{target}")
    for case in CASES
    for role in ROLES
    for target in ((OWN, OTHER) if case.per_form else (OWN,))
]


@pytest.mark.parametrize(("case", "role", "target"), CELLS)
def test_matrix(client, world, case, role, target):
    form = world["forms"][target]
    for each in world["forms"].values():
        put_in_state(each, case.state)
    form.refresh_from_db()
    user = world["users"][role]
    if user is not None:
        client.force_login(user)
    url = reverse(case.name, kwargs=case.kwargs(world, form))
    before = {t: snapshot(f) for t, f in world["forms"].items()}

    call = client.post if case.method == "POST" else client.get
    response = (
        call(url, case.data(world, form), headers=case.headers)
        if case.method == "POST"
        else call(url, headers=case.headers)
    )

    expected = case.expect[role][0 if target == OWN else 1]
    if expected == LOGIN:
        assert response.status_code == 302, response.status_code
        assert response["Location"].startswith(reverse("login")), response["Location"]
    else:
        assert response.status_code == expected, (response.status_code, text_of(response)[:500])

    text = text_of(response)
    if case.shows_form and response.status_code == 200:
        assert form.project.name in text, "the answer should name its form"
    for other_target, other_form in world["forms"].items():
        if other_target not in SEES[role]:
            assert other_form.project.name not in text, f"{role} was shown {other_target}'s form"

    after = {t: snapshot(f) for t, f in world["forms"].items()}
    for t in world["forms"]:
        if t == target and (role, target) in case.writers:
            assert after[t] != before[t], "this request should have changed the form"
        else:
            assert after[t] == before[t], f"{role} changed {t}'s form: {before[t]} -> {after[t]}"
