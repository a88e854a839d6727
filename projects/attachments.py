"""佐证材料: supporting documents attached to a form.

Rules:
- PDF, images (PNG, JPEG), Word and Excel (.docx/.xlsx, and the older .doc/.xls that units still keep);
  the type is decided by the file's content (magic bytes, and for Office Open XML the parts inside the zip),
  and the extension must agree with it; macro-enabled Office files are refused.
- At most settings.PERFEVAL_ATTACHMENT_MAX_BYTES per file (20 MB by default) and MAX_PER_FORM per form.
- Added and deleted only by the preparers of the form's unit while the form is editable (草稿, 已退回), under
  the form's row lock so that an approval cannot slip in between; visible to whoever may see the form.
- Stored through Django's storage API (default_storage) under a random name: the original name is kept in
  the database and given back on download, never used as a path.
"""

from __future__ import annotations

import os
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from . import access
from .excel.reader import human_size
from .models import Attachment, SelfAssessment
from .refusals import Refused

MAX_PER_FORM = 30


def max_bytes() -> int:
    return getattr(settings, "PERFEVAL_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024)


@dataclass(frozen=True)
class Kind:
    content_type: str
    extensions: tuple[str, ...]
    label: str
    inline: bool  # shown in the browser (PDF, images); the rest is downloaded


PDF = Kind("application/pdf", (".pdf",), "PDF", True)
PNG = Kind("image/png", (".png",), "PNG", True)
JPEG = Kind("image/jpeg", (".jpg", ".jpeg"), "JPEG", True)
DOCX = Kind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",), "Word", False)
XLSX = Kind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",), "Excel", False)
DOC = Kind("application/msword", (".doc",), "Word", False)
XLS = Kind("application/vnd.ms-excel", (".xls",), "Excel", False)
KINDS = (PDF, PNG, JPEG, DOCX, XLSX, DOC, XLS)
ACCEPT = ",".join(ext for kind in KINDS for ext in kind.extensions)
BY_CONTENT_TYPE = {kind.content_type: kind for kind in KINDS}

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OOXML_MAIN = {
    "word/document.xml": (DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
    "xl/workbook.xml": (XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
}


class AttachmentRefused(Refused):
    """A 佐证材料 file that cannot be kept (its kind, its size, the form's state)."""


def clean_name(name: str) -> str:
    """The file name as the user sees it: no path, no control characters, at most 255 characters."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if not name:
        return "file"
    stem, ext = os.path.splitext(name)
    return stem[: 255 - len(ext)] + ext if len(name) > 255 else name


def sniff(upload, name: str) -> Kind:
    """The kind of an uploaded file from its content; AttachmentRefused when it is not one we accept."""
    upload.seek(0)
    head = upload.read(1024)
    upload.seek(0)
    ext = os.path.splitext(name)[1].lower()
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        kind = PNG
    elif head.startswith(b"\xff\xd8\xff"):
        kind = JPEG
    elif b"%PDF-" in head:  # readers accept the header anywhere in the first 1024 bytes
        kind = PDF
    elif head.startswith(_OLE_MAGIC):
        # The old binary Office format: .doc and .xls share the container; the extension tells which.
        if ext not in DOC.extensions + XLS.extensions:
            raise AttachmentRefused(_("“%(name)s”是旧版 Office 文件，但扩展名不是 .doc 或 .xls。") % {"name": name})
        kind = DOC if ext in DOC.extensions else XLS
    elif head.startswith(b"PK\x03\x04"):
        kind = _ooxml_kind(upload, name)
    else:
        raise AttachmentRefused(
            _("“%(name)s”不是可接受的文件类型：佐证材料只能是 PDF、图片（PNG、JPEG）、Word 或 Excel 文件。")
            % {"name": name}
        )
    if ext not in kind.extensions:
        raise AttachmentRefused(
            _("“%(name)s”的内容是 %(label)s 文件，但扩展名是“%(ext)s”；请改正扩展名（%(expected)s）后再上传。")
            % {"name": name, "label": kind.label, "ext": ext or _("无"), "expected": " / ".join(kind.extensions)}
        )
    return kind


def _ooxml_kind(upload, name: str) -> Kind:
    refused = AttachmentRefused(
        _("“%(name)s”是压缩包，不是 Word 或 Excel 文件；佐证材料不接受压缩包。") % {"name": name}
    )
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            info = archive.getinfo("[Content_Types].xml") if "[Content_Types].xml" in names else None
            if info is None or info.file_size > 1024 * 1024:
                raise refused
            content_types = archive.read(info).decode("utf-8", "replace")
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
        raise refused from None
    finally:
        upload.seek(0)
    for part, (kind, main_type) in _OOXML_MAIN.items():
        if part in names:
            if main_type not in content_types:
                # .docm / .xlsm (macros) and templates declare another main content type.
                raise AttachmentRefused(
                    _("“%(name)s”是启用宏的文档或模板，为安全起见不能上传；请另存为 %(ext)s 后再上传。")
                    % {"name": name, "ext": kind.extensions[0]}
                )
            return kind
    raise refused


def add(user, assessment_pk, upload) -> Attachment:
    """Attach an uploaded file to the form, if the user may edit the form now."""
    name = clean_name(getattr(upload, "name", ""))
    limit = max_bytes()
    if upload.size == 0:
        raise AttachmentRefused(_("“%(name)s”是空文件。") % {"name": name})
    if upload.size > limit:
        raise AttachmentRefused(
            _("“%(name)s”大小为 %(size)s，超过每个文件 %(limit)s 的上限。")
            % {"name": name, "size": human_size(upload.size), "limit": human_size(limit)}
        )
    kind = sniff(upload, name)
    # Checked before the file is written (so that nobody else can fill the storage) and again under the
    # form's row lock, which makes "still editable" and the insert one step: an approval waits for it.
    _check_editable(user, access.get_assessment(user, assessment_pk))
    attachment = Attachment(original_name=name, content_type=kind.content_type, size=upload.size, uploaded_by=user)
    attachment.assessment_id = int(assessment_pk)
    attachment.file.save(f"{uuid.uuid4().hex}{kind.extensions[0]}", upload, save=False)
    try:
        with transaction.atomic():
            assessment = access.get_assessment(user, assessment_pk, for_update=True)
            _check_editable(user, assessment)
            if assessment.attachments.count() >= MAX_PER_FORM:
                raise AttachmentRefused(
                    _("每份自评表最多 %(n)s 个佐证材料；请先删除不需要的文件。") % {"n": MAX_PER_FORM}
                )
            attachment.assessment = assessment
            attachment.save()
    except BaseException:
        attachment.file.storage.delete(attachment.file.name)  # nothing of a refused upload stays behind
        raise
    return attachment


def remove(user, assessment_pk, attachment_pk) -> Attachment:
    """Delete an attachment of the form, if the user may edit the form now; the file goes after commit."""
    with transaction.atomic():
        assessment = access.get_assessment(user, assessment_pk, for_update=True)
        attachment = _get(assessment, attachment_pk)
        _check_editable(user, assessment)
        storage, name = attachment.file.storage, attachment.file.name
        attachment.delete()
        transaction.on_commit(lambda: storage.delete(name))
    return attachment


def get(user, assessment_pk, attachment_pk) -> Attachment:
    """An attachment of a form the user may see (404 otherwise, as for the form itself)."""
    return _get(access.get_assessment(user, assessment_pk), attachment_pk)


def _get(assessment: SelfAssessment, attachment_pk) -> Attachment:
    from django.http import Http404

    try:
        return assessment.attachments.get(pk=attachment_pk)
    except (Attachment.DoesNotExist, ValueError, TypeError):
        raise Http404("no such attachment on this form") from None


def _check_editable(user, assessment: SelfAssessment):
    if access.can_edit(user, assessment):
        return
    if assessment.is_locked:
        raise PermissionDenied(_("这份自评表已审核通过并锁定，佐证材料不能再增删。"))
    if assessment.is_editable:
        raise PermissionDenied(_("只有本单位的填报人可以增删佐证材料。"))
    raise PermissionDenied(
        _("这份自评表当前状态为“%(status)s”，佐证材料不能增删。") % {"status": assessment.get_status_display()}
    )


def panel(user, assessment: SelfAssessment) -> dict:
    """What the attachments partial shows for this user: the files and whether they may change them."""
    return {
        "items": list(assessment.attachments.select_related("uploaded_by")),
        "can_change": access.can_edit(user, assessment),
        "max_size": human_size(max_bytes()),
        "max_count": MAX_PER_FORM,
        "accept": ACCEPT,
    }
