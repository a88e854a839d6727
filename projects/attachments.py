"""佐证材料: supporting documents attached to a form.

Rules:
- PDF, images (PNG, JPEG), Word and Excel (.docx/.xlsx, and the older .doc/.xls that units still keep);
  the type is decided by the file's content (magic bytes, and for Office Open XML the parts inside the zip),
  and the extension must agree with it; macro-enabled Office files are refused.
- The whole file must then parse as that type, not just begin like it: a signature in front of an HTML page
  (or of anything else) is not a PDF or an image. A PDF must also carry no script, launch action or embedded
  file: reviewers open these files on their own machines, in readers that run such things.
- At most settings.PERFEVAL_ATTACHMENT_MAX_BYTES per file (20 MB by default) and MAX_PER_FORM per form.
- Added and deleted only by the preparers of the form's unit while the form is editable (草稿, 已退回), under
  the form's row lock so that an approval cannot slip in between; visible to whoever may see the form.
- Stored through Django's storage API (default_storage) under a random name: the original name is kept in
  the database and given back on download, never used as a path. Downloads are always downloads (never shown
  inline from the site's own origin), with the type the server decided here.
"""

from __future__ import annotations

import io
import os
import re
import struct
import unicodedata
import uuid
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from defusedxml.ElementTree import fromstring as parse_xml
from defusedxml.ElementTree import iterparse
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from . import access
from .excel.reader import human_size
from .models import Attachment, SelfAssessment
from .refusals import Refused

MAX_PER_FORM = 30
# Above a 48–50 MP phone photo, and a decoded PNG stays under ~240 MB of memory. Checked by us before
# decoding, below Pillow's own MAX_IMAGE_PIXELS, so that its DecompressionBombWarning (a process-wide
# warnings filter would be needed to catch it, which is not thread-safe) never comes into play.
MAX_IMAGE_PIXELS = 60_000_000
# A PDF's dictionaries, arrays and references are walked one by one: a 20 000-page document takes about
# 100 000 steps (1.5 s); ten times that bounds the time a crafted file can take.
MAX_PDF_OBJECTS = 1_000_000
# An Office file is unpacked in full to check every part; this bounds the work a zip bomb can cause.
MAX_UNPACKED_BYTES = 512 * 1024 * 1024
MAX_ZIP_MEMBERS = 10_000


def max_bytes() -> int:
    return getattr(settings, "PERFEVAL_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024)


@dataclass(frozen=True)
class Kind:
    content_type: str
    extensions: tuple[str, ...]
    label: str


PDF = Kind("application/pdf", (".pdf",), "PDF")
PNG = Kind("image/png", (".png",), "PNG")
JPEG = Kind("image/jpeg", (".jpg", ".jpeg"), "JPEG")
DOCX = Kind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",), "Word")
XLSX = Kind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",), "Excel")
DOC = Kind("application/msword", (".doc",), "Word")
XLS = Kind("application/vnd.ms-excel", (".xls",), "Excel")
KINDS = (PDF, PNG, JPEG, DOCX, XLSX, DOC, XLS)
ACCEPT = ",".join(ext for kind in KINDS for ext in kind.extensions)
BY_CONTENT_TYPE = {kind.content_type: kind for kind in KINDS}

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OOXML_MAIN = {
    "word/document.xml": (DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
    "xl/workbook.xml": (XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
}


class AttachmentRefused(Refused):
    """A 佐证材料 file that cannot be kept (its kind, its size, its content, the form's state)."""


def clean_name(name: str) -> str:
    """The file name as the user sees it: no path, no control characters, at most 255 characters."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if not name:
        return "file"
    stem, ext = os.path.splitext(name)
    return stem[: 255 - len(ext)] + ext if len(name) > 255 else name


def ascii_name(name: str) -> str:
    """An ASCII stand-in for the name (the filename= of a download, for clients without filename*)."""
    stem, ext = os.path.splitext(unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode())
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._-")
    ext = re.sub(r"[^A-Za-z0-9.]+", "", ext)
    return (stem or "attachment") + ext


def sniff(upload, name: str) -> Kind:
    """The kind of an uploaded file from its whole content; AttachmentRefused when it is not one we accept."""
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
    data = upload.read()  # at most max_bytes(): add() checks the size first
    upload.seek(0)
    try:
        _WHOLE_CONTENT[kind](data, name, kind)
    except AttachmentRefused:
        raise
    except Exception:
        # Whatever a parser trips over in a malformed or hostile file is a refusal, never a 500.
        raise _invalid(name, kind) from None
    return kind


def _invalid(name: str, kind: Kind) -> AttachmentRefused:
    return AttachmentRefused(
        _("“%(name)s”不是有效的 %(label)s 文件：内容不完整、已损坏，或是改了扩展名的其他文件；请重新导出后再上传。")
        % {"name": name, "label": kind.label}
    )


def _ooxml_kind(upload, name: str) -> Kind:
    refused = AttachmentRefused(
        _("“%(name)s”是压缩包，不是 Word 或 Excel 文件；佐证材料不接受压缩包。") % {"name": name}
    )
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            main = next((part for part in _OOXML_MAIN if part in names), None)
            if main is None:
                raise refused
            kind, main_type = _OOXML_MAIN[main]
            info = archive.getinfo("[Content_Types].xml") if "[Content_Types].xml" in names else None
            if info is None or info.file_size > 1024 * 1024:
                raise _invalid(name, kind)
            try:
                types = parse_xml(archive.read(info))
            except Exception:
                raise _invalid(name, kind) from None
    except AttachmentRefused:
        raise
    except Exception:  # not a zip we can read: a truncated or foreign archive
        raise refused from None
    finally:
        upload.seek(0)
    # Part names are case-insensitive (Open Packaging Conventions); the main part's declared type tells a
    # document from a macro-enabled one (.docm / .xlsm) or a template, which declare another main type.
    declared = {
        element.get("PartName", "").lower(): element.get("ContentType")
        for element in types
        if element.tag.rpartition("}")[2] == "Override"
    }
    if declared.get(f"/{main}") != main_type:
        raise AttachmentRefused(
            _("“%(name)s”是启用宏的文档或模板，为安全起见不能上传；请另存为 %(ext)s 后再上传。")
            % {"name": name, "ext": kind.extensions[0]}
        )
    return kind


def _check_ooxml(data: bytes, name: str, kind: Kind) -> None:
    """Every part unpacks with the right checksum, and the main part is well-formed XML."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        if len(infos) > MAX_ZIP_MEMBERS or sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:
            raise _invalid(name, kind)
        if archive.testzip() is not None:
            raise _invalid(name, kind)
        main = next(part for part, (main_kind, _type) in _OOXML_MAIN.items() if main_kind is kind)
        with archive.open(main) as part:
            for _event, element in iterparse(part):
                element.clear()  # streamed: a large document is not held in memory


def _image_too_large(name: str) -> AttachmentRefused:
    return AttachmentRefused(
        _("“%(name)s”的图像尺寸过大（超过 %(limit)s 万像素）；请缩小后再上传。")
        % {"name": name, "limit": MAX_IMAGE_PIXELS // 10_000}
    )


def _check_image(data: bytes, name: str, kind: Kind) -> None:
    """The image decodes in full: every pixel row is there and intact."""
    if kind is PNG:
        _check_png_chunks(data, name)
    try:
        image = Image.open(io.BytesIO(data), formats=[kind.label])
    except Image.DecompressionBombError:
        raise _image_too_large(name) from None
    with image:
        # MPO: the multi-picture JPEG of some cameras, a JPEG first and foremost.
        if image.format not in ({"PNG"} if kind is PNG else {"JPEG", "MPO"}):
            raise _invalid(name, kind)
        if image.width * image.height > MAX_IMAGE_PIXELS:
            raise _image_too_large(name)
        if kind is JPEG:
            # Decoded at 1/8 scale: every coded block is still read (a truncated or corrupt stream fails),
            # in a 64th of the memory.
            image.draft(None, (image.width // 8, image.height // 8))
        image.load()  # a truncated file raises here (Pillow's LOAD_TRUNCATED_IMAGES stays off)


def _check_png_chunks(data: bytes, name: str) -> None:
    """Chunk after chunk with a right checksum up to IEND, and nothing after it.

    A JPEG is not held to "nothing after": phones append a video ("motion photo") or other data after the
    image, and those are ordinary photos.
    """
    pos = 8
    while pos + 12 <= len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        chunk = data[pos + 4 : pos + 8 + length]
        if len(chunk) != 4 + length or struct.unpack_from(">I", data, pos + 8 + length)[0] != zlib.crc32(chunk):
            break
        pos += 12 + length
        if chunk[:4] == b"IEND":
            if pos == len(data):
                return
            break
    raise _invalid(name, PNG)


# Names a PDF runs or starts things with: document and form JavaScript (/JS in any action, the /JavaScript
# name tree, XFA forms' scripts), and /Launch, which starts a program. Embedded files are refused too: a PDF
# would otherwise carry any file past the type check above.
_PDF_SCRIPT_KEYS = {"/JS", "/JavaScript", "/XFA"}
_PDF_SCRIPT_ACTIONS = {"/JavaScript", "/Launch"}
_PDF_EMBEDDED_KEYS = {"/EF", "/EmbeddedFiles"}
_PDF_CONTAINERS = (IndirectObject, DictionaryObject, ArrayObject)  # what can hold a dictionary, walked
# The same names in the raw bytes, for objects our parser does not reach but a more forgiving reader might
# (one that rebuilds a broken cross-reference table). Only names long enough never to turn up by chance
# in compressed data; the rest is found by the walk over the parsed objects.
_PDF_RAW_SCRIPT = re.compile(rb"/(?:JavaScript|Launch)(?=[\s/<>\[\]()%{}]|$)")
_PDF_RAW_EMBEDDED = re.compile(rb"/(?:EmbeddedFiles?)(?=[\s/<>\[\]()%{}]|$)")


def _pdf_scripts(name: str) -> AttachmentRefused:
    return AttachmentRefused(
        _("“%(name)s”含有脚本或启动程序，不能作为佐证材料；请用“打印为 PDF”另存一份后再上传。") % {"name": name}
    )


def _pdf_embedded(name: str) -> AttachmentRefused:
    return AttachmentRefused(
        _("“%(name)s”内嵌了其他文件，不能作为佐证材料；请把内嵌的文件单独上传，或用“打印为 PDF”另存一份后再上传。")
        % {"name": name}
    )


def _check_pdf(data: bytes, name: str, kind: Kind) -> None:
    """The PDF opens, has pages, and none of its objects holds a script, a launch action or a file."""
    if _PDF_RAW_SCRIPT.search(data):
        raise _pdf_scripts(name)
    if _PDF_RAW_EMBEDDED.search(data):
        raise _pdf_embedded(name)
    reader = PdfReader(io.BytesIO(data), strict=False)
    # An owner password alone (printing or copying restricted) opens with the empty user password.
    if reader.is_encrypted and not _decrypts(reader):
        raise AttachmentRefused(
            _("“%(name)s”已加密（设有密码或权限限制），无法检查其内容；请去掉密码或限制后再上传。") % {"name": name}
        )
    if len(reader.pages) == 0:
        raise _invalid(name, kind)
    _walk_pdf(reader, name, kind)


def _decrypts(reader: PdfReader) -> bool:
    try:
        return bool(reader.decrypt(""))
    except Exception:  # e.g. AES without a crypto library installed: not readable here, so not checkable
        return False


def _walk_pdf(reader: PdfReader, name: str, kind: Kind) -> None:
    # Every object: those the cross-reference table lists and those reachable from the trailer, each once.
    pending: list = [reader.trailer]
    pending += [
        IndirectObject(number, generation, reader) for generation, numbers in reader.xref.items() for number in numbers
    ]
    pending += [IndirectObject(number, 0, reader) for number in reader.xref_objStm]
    seen: set[tuple[int, int]] = set()
    for _step in range(MAX_PDF_OBJECTS):
        if not pending:
            return
        obj = pending.pop()
        if isinstance(obj, IndirectObject):
            if (obj.idnum, obj.generation) in seen:
                continue
            seen.add((obj.idnum, obj.generation))
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):  # streams too: their dictionary
            _check_pdf_dictionary(obj, name)
            # As stored: a reference stays a reference (resolved once, above); numbers and strings hold nothing.
            pending.extend(value for value in obj.values() if isinstance(value, _PDF_CONTAINERS))
        elif isinstance(obj, ArrayObject):
            pending.extend(value for value in obj if isinstance(value, _PDF_CONTAINERS))
    raise _invalid(name, kind)  # more than any real document has: not checked to the end, so not kept


def _check_pdf_dictionary(obj: DictionaryObject, name: str) -> None:
    keys = set(obj.keys())
    action = obj.get("/S")
    if keys & _PDF_SCRIPT_KEYS or (action is not None and action.get_object() in _PDF_SCRIPT_ACTIONS):
        raise _pdf_scripts(name)
    kind = obj.get("/Type")
    if keys & _PDF_EMBEDDED_KEYS or (kind is not None and kind.get_object() == "/EmbeddedFile"):
        raise _pdf_embedded(name)


def _check_ole(data: bytes, name: str, kind: Kind) -> None:
    """An old-format Office file: a compound file whose sectors chain up, holding a Word or Excel document.

    The container is shared with other programs' files (installers, Outlook messages, ...): the main
    stream, by name and by its first bytes, tells a Word document (its FIB) or an Excel workbook (BOF).
    """
    cfb = _CompoundFile(data)
    streams = cfb.streams()
    if {"Macros", "_VBA_PROJECT_CUR", "VBA"} & set(streams):
        raise AttachmentRefused(
            _("“%(name)s”含有宏，为安全起见不能上传；请另存为 %(ext)s 后再上传。")
            % {"name": name, "ext": ".docx" if kind is DOC else ".xlsx"}
        )
    magic: tuple[bytes, ...]
    if kind is DOC:  # the FIB's wIdent: Word 97 and later, Word 6/95
        main, magic = streams.get("WordDocument"), (b"\xec\xa5", b"\xdc\xa5")
    else:  # a BOF record: Excel 97 and later ("Workbook"), Excel 5/95 ("Book")
        main, magic = streams.get("Workbook") or streams.get("Book"), (b"\x09\x08",)
    if main is None or main[0] != 2 or not cfb.head(main).startswith(magic):
        raise _invalid(name, kind)


class _CompoundFile:
    """Just enough of [MS-CFB] to prove the structure holds: header, FAT, directory, every stream's chain.

    Any inconsistency raises ValueError (or a struct or index error), which sniff turns into a refusal.
    """

    END = 0xFFFFFFFE  # ENDOFCHAIN

    def __init__(self, data: bytes):
        self.data = data
        if len(data) < 512:
            raise ValueError("short header")
        major, order, shift, mini_shift = struct.unpack_from("<HHHH", data, 26)
        if order != 0xFFFE or (major, shift) not in ((3, 9), (4, 12)) or mini_shift != 6:
            raise ValueError("bad header")
        self.size = 1 << shift
        self.count = (len(data) - 1) // self.size  # sectors after the header (the last one may be short)
        n_fat, self.first_dir, _sig, cutoff, self.first_minifat, _n_minifat, difat, n_difat = struct.unpack_from(
            "<8I", data, 44
        )
        if cutoff != 4096 or n_fat > self.count or n_difat > self.count:
            raise ValueError("bad header")
        fat_sectors = list(struct.unpack_from("<109I", data, 76))
        for _i in range(n_difat):  # DIFAT sectors list the FAT sectors beyond the header's 109
            values = self.ints(difat)
            fat_sectors += values[:-1]
            difat = values[-1]
        # Entries past the file's last sector are no sector at all: a chain through them is broken.
        self.fat = [value for number in fat_sectors[:n_fat] for value in self.ints(number)][: self.count]
        self.mini_stream: list[int] = []
        self.minifat: list[int] = []

    def sector(self, number: int) -> bytes:
        if number >= self.count:
            raise ValueError("sector out of the file")
        return self.data[(number + 1) * self.size : (number + 2) * self.size].ljust(self.size, b"\0")

    def ints(self, number: int) -> list[int]:
        return list(struct.unpack(f"<{self.size // 4}I", self.sector(number)))

    def chain(self, start: int, table: list[int], claimed: set[int]) -> list[int]:
        """The sectors of a chain. No sector is in two chains, so that all chains together cost one pass."""
        sectors: list[int] = []
        while start != self.END:
            if start >= len(table) or start in claimed:
                raise ValueError("broken, looping or overlapping chain")
            claimed.add(start)
            sectors.append(start)
            start = table[start]
        return sectors

    def streams(self) -> dict[str, tuple[int, list[int], int]]:
        """name → (type, sectors, size) of every allocated directory entry, each stream's chain checked."""
        fat_claimed: set[int] = set()
        directory = b"".join(self.sector(s) for s in self.chain(self.first_dir, self.fat, fat_claimed))
        entries = []
        for offset in range(0, len(directory) - 127, 128):
            length, kind = struct.unpack_from("<HB", directory, offset + 64)
            start, size = struct.unpack_from("<IQ", directory, offset + 116)
            if self.size == 512:
                size &= 0xFFFFFFFF  # version 3 files may keep garbage in the high half
            if (offset == 0) != (kind == 5) or kind not in (0, 1, 2, 5):
                raise ValueError("the root entry is not the first, or an entry of no known type")
            if kind:  # 0: unallocated
                name = directory[offset : offset + min(max(length - 2, 0), 62)].decode("utf-16-le")
                entries.append((name, kind, start, size))
        if not entries:
            raise ValueError("no root entry")
        # The root entry's chain is the mini stream, where the streams under 4096 bytes live in 64-byte sectors.
        _root, _kind, root_start, root_size = entries[0]
        if root_size:
            self.mini_stream = self._sized(self.chain(root_start, self.fat, fat_claimed), root_size, self.size)
        if root_size and self.first_minifat != self.END:
            chain = self.chain(self.first_minifat, self.fat, fat_claimed)
            self.minifat = [value for number in chain for value in self.ints(number)][: (root_size + 63) // 64]
        streams: dict[str, tuple[int, list[int], int]] = {}
        mini_claimed: set[int] = set()
        for name, kind, start, size in entries[1:]:
            sectors = []
            if kind == 2 and size >= 4096:
                sectors = self._sized(self.chain(start, self.fat, fat_claimed), size, self.size)
            elif kind == 2 and size:
                sectors = self._sized(self.chain(start, self.minifat, mini_claimed), size, 64)
            streams.setdefault(name, (kind, sectors, size))
        return streams

    @staticmethod
    def _sized(sectors: list[int], size: int, unit: int) -> list[int]:
        if len(sectors) != (size + unit - 1) // unit:
            raise ValueError("stream size and chain disagree")
        return sectors

    def head(self, stream: tuple[int, list[int], int]) -> bytes:
        """The first bytes of a stream (up to one sector)."""
        _kind, sectors, size = stream
        if not sectors:
            return b""
        if size >= 4096:
            return self.sector(sectors[0])
        offset = sectors[0] * 64
        return self.sector(self.mini_stream[offset // self.size])[offset % self.size :][:64]


_WHOLE_CONTENT: dict[Kind, Callable[[bytes, str, Kind], None]] = {
    PDF: _check_pdf,
    PNG: _check_image,
    JPEG: _check_image,
    DOCX: _check_ooxml,
    XLSX: _check_ooxml,
    DOC: _check_ole,
    XLS: _check_ole,
}


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
