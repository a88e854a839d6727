"""佐证材料: the list (its own page, and the partial on the form and review pages), upload, download, delete.

Upload and delete answer htmx with the refreshed panel (so that unsaved typing on the edit page around it
is not lost), and plain form posts with a redirect back and a message.
"""

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import access, attachments

MAX_FILES_PER_POST = 10


@login_required
@require_http_methods(["GET", "POST"])
def attachment_list(request, pk):
    if request.method == "GET":
        assessment = access.get_assessment(request.user, pk)
        return render(
            request,
            "projects/uploads/attachments_page.html",
            {"assessment": assessment, "panel": attachments.panel(request.user, assessment)},
        )
    files = request.FILES.getlist("files")
    notices, errors = [], []
    if not files:
        errors.append(_("请先选择要上传的文件。"))
    elif len(files) > MAX_FILES_PER_POST:
        errors.append(_("一次最多上传 %(n)s 个文件。") % {"n": MAX_FILES_PER_POST})
        files = []
    for upload in files:
        try:
            attachment = attachments.add(request.user, pk, upload)
        except attachments.AttachmentRefused as refused:
            errors.append(refused.message)
        except PermissionDenied as denied:
            errors.append(str(denied) or _("您不能为这份自评表上传佐证材料。"))
            break
        else:
            notices.append(_("已上传“%(name)s”。") % {"name": attachment.original_name})
    return _answer(request, pk, notices, errors)


@login_required
@require_POST
def attachment_delete(request, pk, attachment_pk):
    try:
        attachment = attachments.remove(request.user, pk, attachment_pk)
    except PermissionDenied as denied:
        return _answer(request, pk, [], [str(denied) or _("您不能删除这份自评表的佐证材料。")])
    return _answer(request, pk, [_("已删除“%(name)s”。") % {"name": attachment.original_name}], [])


@login_required
@require_GET
def attachment_download(request, pk, attachment_pk):
    attachment = attachments.get(request.user, pk, attachment_pk)
    # Never shown inline: a file rendered from our own origin is trusted as the site's (a polyglot sniffed
    # as HTML, a PDF's scripts in the browser's viewer); saved to disk, it is only a file.
    kind = attachments.BY_CONTENT_TYPE.get(attachment.content_type)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        content_type=kind.content_type if kind else "application/octet-stream",  # only the types we decided
    )
    # Django's header gives a non-ASCII name as filename* alone; old clients need the ASCII filename= too.
    response["Content-Disposition"] = "attachment; filename=\"{}\"; filename*=utf-8''{}".format(
        attachments.ascii_name(attachment.original_name), quote(attachment.original_name, safe="")
    )
    response["X-Content-Type-Options"] = "nosniff"  # also set by SecurityMiddleware; here it cannot be lost
    response["Cache-Control"] = "private, no-store"
    return response


def _answer(request, pk, notices, errors):
    if request.headers.get("HX-Request"):
        # htmx swaps only successful responses by default: a refusal is shown inside the panel.
        assessment = access.get_assessment(request.user, pk)
        return render(
            request,
            "projects/partials/attachments.html",
            {
                "assessment": assessment,
                "panel": attachments.panel(request.user, assessment),
                "attachment_notices": notices,
                "attachment_errors": errors,
            },
        )
    for notice in notices:
        messages.success(request, notice)
    for error in errors:
        messages.error(request, error)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = reverse("attachment_list", args=[pk])
    return redirect(target)
