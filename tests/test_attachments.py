"""佐证材料: types checked by their whole content, size limits, who may add, see and delete, locked with the
form, served as downloads only."""

import contextlib
import io
import re
import struct
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

from projects import attachments
from projects.models import Attachment, SelfAssessment

# --- real, minimal files of each kind ------------------------------------------------------------------


def pdf(change=None) -> bytes:
    """A one-page PDF as pypdf writes it; change(writer) adds to it first."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if change:
        change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def raw_pdf(*objects: bytes) -> bytes:
    """A PDF written byte by byte (object 1 is the catalog), for names spelled in ways pypdf never writes."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


PAGES = (b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>")


def image(fmt: str, size=(64, 48), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, fmt)
    return out.getvalue()


def ole(stream="WordDocument", magic=b"\xec\xa5", size=4096, storages=()) -> bytes:
    """A version-3 compound file (512-byte sectors) holding the main stream and a 100-byte summary stream.

    Sector 0 is the FAT, 1 the directory, then the streams of 4096 bytes or more, then the mini stream
    (where the smaller streams live, in 64-byte sectors) and the mini FAT.
    """
    end, free, fat_sector, none = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    streams = [(stream, magic.ljust(size, b"\0")), ("\x05SummaryInformation", b"\xfe\xff".ljust(100, b"\0"))]
    fat, minifat, body, mini = [fat_sector, end], [], b"", b""
    starts = []
    for _name, data in streams:
        if len(data) >= 4096:
            count = -(-len(data) // 512)
            starts.append(len(fat))
            fat += [*range(len(fat) + 1, len(fat) + count), end]
            body += data.ljust(count * 512, b"\0")
        else:
            count = -(-len(data) // 64)
            starts.append(len(minifat))
            minifat += [*range(len(minifat) + 1, len(minifat) + count), end]
            mini += data.ljust(count * 64, b"\0")
    mini_start, mini_sectors = len(fat), -(-len(mini) // 512)
    fat += [*range(mini_start + 1, mini_start + mini_sectors), end, end]  # the mini stream, then the mini FAT
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<8I", header, 44, 1, 1, 0, 4096, mini_start + mini_sectors, 1, end, 0)
    struct.pack_into("<109I", header, 76, 0, *[free] * 108)

    def entry(name, kind, start=end, size=0, child=none):
        raw = bytearray(128)
        encoded = (name + "\0").encode("utf-16-le")
        raw[: len(encoded)] = encoded
        struct.pack_into("<HBB3I", raw, 64, len(encoded), kind, 1, none, none, child)
        struct.pack_into("<IQ", raw, 116, start, size)
        return bytes(raw)

    entries = [entry("Root Entry", 5, start=mini_start, size=len(mini), child=1)]
    entries += [entry(name, 2, start, len(data)) for (name, data), start in zip(streams, starts, strict=True)]
    entries += [entry(name, 1) for name in storages]
    return b"".join(
        [
            header,
            struct.pack("<128I", *fat, *[free] * (128 - len(fat))),
            b"".join(entries).ljust(512, b"\0"),
            body,
            mini.ljust(mini_sectors * 512, b"\0"),
            struct.pack("<128I", *minifat, *[free] * (128 - len(minifat))),
        ]
    )


def ooxml(main_part: str, content_type: str, main_body: str = "<x/>", compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        archive.writestr(
            "[Content_Types].xml", f'<Types><Override PartName="/{main_part}" ContentType="{content_type}"/></Types>'
        )
        archive.writestr(main_part, main_body)
    return out.getvalue()


PDF = pdf()
PNG = image("PNG")
JPEG = image("JPEG")
DOC = ole()
XLS = ole("Workbook", b"\x09\x08")
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
DOCX = ooxml("word/document.xml", DOCX_MAIN)
DOCM = ooxml("word/document.xml", "application/vnd.ms-word.document.macroEnabled.main+xml")
XLSX = ooxml("xl/workbook.xml", XLSX_MAIN)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def file(name, content):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def upload(client, assessment, *files, htmx=False):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(reverse("attachment_list", args=[assessment.pk]), {"files": list(files)}, headers=headers)


def attach(assessment, user, name="验收报告.pdf", content=PDF):
    return attachments.add(user, assessment.pk, file(name, content))


# --- adding --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("验收报告.pdf", PDF, "application/pdf"),
        ("现场照片.PNG", PNG, "image/png"),
        ("照片.jpeg", JPEG, "image/jpeg"),
        ("总结.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("台账.xlsx", XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("旧通知.doc", DOC, "application/msword"),
        ("旧台账.xls", XLS, "application/vnd.ms-excel"),
    ],
)
def test_a_preparer_attaches_accepted_types(client_for, preparer, assessment, media, name, content, content_type):
    response = upload(client_for(preparer), assessment, file(name, content))
    assert response.status_code == 302
    a = Attachment.objects.get(assessment=assessment)
    assert (a.original_name, a.content_type, a.size, a.uploaded_by) == (name, content_type, len(content), preparer)
    # stored under a random name of the right type, through the storage API; the original name is only data
    assert a.file.name.startswith(f"attachments/{assessment.pk}/") and name not in a.file.name
    assert (media / a.file.name).read_bytes() == content
    assert a.history.count() == 1 and a.history.first().history_user == preparer


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "setup.exe",
            b"MZ\x90\x00" + b"\0" * 60,
            "“setup.exe”不是可接受的文件类型：佐证材料只能是 PDF、图片（PNG、JPEG）、Word 或 Excel 文件。",
        ),
        (
            "报告.pdf",
            b"just some text, not a PDF",
            "“报告.pdf”不是可接受的文件类型：佐证材料只能是 PDF、图片（PNG、JPEG）、Word 或 Excel 文件。",
        ),
        ("报告.docx", PDF, "“报告.docx”的内容是 PDF 文件，但扩展名是“.docx”；请改正扩展名（.pdf）后再上传。"),
        ("宏.docx", DOCM, "“宏.docx”是启用宏的文档或模板，为安全起见不能上传；请另存为 .docx 后再上传。"),
        (
            "资料.zip",
            ooxml("a.txt", "text/plain"),
            "“资料.zip”是压缩包，不是 Word 或 Excel 文件；佐证材料不接受压缩包。",
        ),
        ("旧.ppt", DOC, "“旧.ppt”是旧版 Office 文件，但扩展名不是 .doc 或 .xls。"),
        ("空.pdf", b"", "“空.pdf”是空文件。"),
    ],
)
def test_files_are_judged_by_their_content(client_for, preparer, assessment, name, content, message):
    response = upload(client_for(preparer), assessment, file(name, content), htmx=True)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Attachment.objects.exists()


def test_the_size_limit(client_for, preparer, assessment, settings, media):
    settings.PERFEVAL_ATTACHMENT_MAX_BYTES = 1024
    response = upload(client_for(preparer), assessment, file("大文件.pdf", PDF + b"\0" * 2000), htmx=True)
    assert "“大文件.pdf”大小为 3 KB，超过每个文件 1 KB 的上限。" in response.content.decode()
    assert not Attachment.objects.exists() and not list(media.rglob("*.pdf"))


def test_several_files_at_once_each_judged_on_its_own(client_for, preparer, assessment):
    response = upload(client_for(preparer), assessment, file("a.pdf", PDF), file("b.exe", b"MZ"), htmx=True)
    body = response.content.decode()
    assert "已上传“a.pdf”。" in body and "“b.exe”不是可接受的文件类型" in body
    assert list(Attachment.objects.values_list("original_name", flat=True)) == ["a.pdf"]


def test_a_path_in_the_file_name_is_dropped(preparer, assessment):
    a = attach(assessment, preparer, name="../../etc/\x00报告.pdf")
    assert a.original_name == "报告.pdf"


def test_at_most_so_many_per_form(preparer, assessment, monkeypatch, media):
    monkeypatch.setattr(attachments, "MAX_PER_FORM", 1)
    attach(assessment, preparer)
    with pytest.raises(attachments.AttachmentRefused, match="每份自评表最多 1 个佐证材料"):
        attach(assessment, preparer, name="第二个.pdf")
    assert len(list(media.rglob("*.pdf"))) == 1  # the refused file did not stay behind


# --- the whole content -------------------------------------------------------------------------------

HTML = b"<html><body><script>fetch('/admin/')</script></body></html>"


def javascript_open_action(writer):
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")}
    )


def launch_open_action(writer):
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("calc.exe")}
    )


def document_javascript(writer):
    from pypdf.actions import JavaScript

    writer.add_open_action(JavaScript("app.alert(1)"))  # the /JavaScript name tree


def link_with_javascript(writer):
    # A rendition action's script, under /JS alone: no /JavaScript name anywhere in the file's bytes.
    action = DictionaryObject({NameObject("/S"): NameObject("/Rendition"), NameObject("/JS"): TextStringObject("x")})
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/A"): action,
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])


INVALID = "不是有效的 {label} 文件：内容不完整、已损坏，或是改了扩展名的其他文件；请重新导出后再上传。"
SCRIPTS = "含有脚本或启动程序，不能作为佐证材料；请用“打印为 PDF”另存一份后再上传。"
EMBEDDED = "内嵌了其他文件，不能作为佐证材料；请把内嵌的文件单独上传，或用“打印为 PDF”另存一份后再上传。"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        # An HTML page (or anything) with a signature in front is not a file of that kind.
        ("报告.pdf", b"%PDF-1.7\n" + HTML, INVALID.format(label="PDF")),
        ("照片.png", b"\x89PNG\r\n\x1a\n" + HTML, INVALID.format(label="PNG")),
        ("照片.jpg", b"\xff\xd8\xff\xe0" + HTML, INVALID.format(label="JPEG")),
        ("照片.png", PNG + HTML, INVALID.format(label="PNG")),  # nothing may follow IEND
        # Cut short: the rows or the end of the file are missing.
        ("照片.png", PNG[:-20], INVALID.format(label="PNG")),
        ("照片.png", PNG[:60], INVALID.format(label="PNG")),
        ("照片.jpg", JPEG[:-30], INVALID.format(label="JPEG")),
        ("报告.pdf", PDF[: len(PDF) // 2], INVALID.format(label="PDF")),
        # Scripts and programs: on open, in the document's name tree, on a link, spelled with a #-escape.
        ("报告.pdf", pdf(javascript_open_action), SCRIPTS),
        ("报告.pdf", pdf(launch_open_action), SCRIPTS),
        ("报告.pdf", pdf(document_javascript), SCRIPTS),
        ("报告.pdf", pdf(link_with_javascript), SCRIPTS),
        (
            "报告.pdf",
            raw_pdf(b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /La#75nch /F (calc.exe) >> >>", *PAGES),
            SCRIPTS,
        ),
        ("报告.pdf", raw_pdf(b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /XFA 4 0 R >> >>", *PAGES, b"[]"), SCRIPTS),
        ("报告.pdf", pdf(lambda writer: writer.add_attachment("setup.exe", b"MZ\x90\x00")), EMBEDDED),
        (
            "报告.pdf",
            raw_pdf(b"<< /Type /Catalog /Pages 2 0 R >>", PAGES[0], b"<< /Type /Pages /Count 0 >>"),
            INVALID.format(label="PDF"),
        ),  # no page
        (
            "锁定.pdf",
            pdf(lambda writer: writer.encrypt(user_password="secret", algorithm="RC4-128")),
            "已加密（设有密码或权限限制），无法检查其内容；请去掉密码或限制后再上传。",
        ),
        # Office: every part must unpack intact, the main part must be XML, the old format must hold a document.
        (
            "总结.docx",
            ooxml("word/document.xml", DOCX_MAIN, main_body="<document><body>cut short"),
            INVALID.format(label="Word"),
        ),
        (  # a part's bytes changed after its checksum was written
            "总结.docx",
            ooxml("word/document.xml", DOCX_MAIN, compression=zipfile.ZIP_STORED).replace(b"<x/>", b"<y/>"),
            INVALID.format(label="Word"),
        ),
        ("旧通知.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, INVALID.format(label="Word")),
        ("安装程序.doc", ole("SummaryInformation", b"\0\0"), INVALID.format(label="Word")),  # an .msi is OLE too
        ("旧台账.xls", DOC, INVALID.format(label="Excel")),  # a Word document named .xls
        ("旧通知.doc", DOC[:1500], INVALID.format(label="Word")),
        # the main stream's size (sector 1 is the directory, entry 1, at 120) no longer what its chain holds
        ("旧通知.doc", DOC[:1272] + struct.pack("<Q", 8192) + DOC[1280:], INVALID.format(label="Word")),
        ("宏.doc", ole(storages=["Macros"]), "含有宏，为安全起见不能上传；请另存为 .docx 后再上传。"),
        (
            "宏.xls",
            ole("Workbook", b"\x09\x08", storages=["_VBA_PROJECT_CUR"]),
            "含有宏，为安全起见不能上传；请另存为 .xlsx 后再上传。",
        ),
    ],
)
def test_a_file_is_kept_only_when_its_whole_content_is_of_its_kind(
    client_for, preparer, assessment, media, name, content, reason
):
    response = upload(client_for(preparer), assessment, file(name, content), htmx=True)
    assert response.status_code == 200
    assert f"“{name}”{reason}" in response.content.decode()
    assert not Attachment.objects.exists() and not [p for p in media.rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("权限受限.pdf", pdf(lambda writer: writer.encrypt(user_password="", owner_password="x", algorithm="RC4-128"))),
        ("链接.pdf", pdf(lambda writer: writer.add_uri(0, "https://www.example.gov.cn/", [0, 0, 100, 100]))),
        ("灰度.png", image("PNG", mode="L")),
        ("印刷.jpg", image("JPEG", mode="CMYK")),
        ("动态照片.jpg", JPEG + b"\0\0\0\x18ftypmp42"),  # phones append the video of a "motion photo"
        ("Word95.doc", ole(magic=b"\xdc\xa5")),
        ("小台账.xls", ole("Workbook", b"\x09\x08", size=1000)),  # in the mini stream
    ],
)
def test_ordinary_files_pass_the_content_checks(preparer, assessment, name, content):
    assert attach(assessment, preparer, name=name, content=content).size == len(content)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("a.pdf", PDF),
        ("a.png", PNG),
        ("a.jpg", JPEG),
        ("a.docx", DOCX),
        ("a.xlsx", XLSX),
        ("a.doc", DOC),
        ("a.xls", XLS),
    ],
)
def test_damaged_files_are_refused_or_kept_never_an_error(name, content):
    import random

    rng = random.Random(name)
    for _ in range(40):
        damaged = bytearray(content)
        for position in rng.sample(range(8, len(damaged)), 6):  # past the signature: the parsers get to work
            damaged[position] = rng.randrange(256)
        with contextlib.suppress(attachments.AttachmentRefused):  # the view shows it; anything else is a 500
            attachments.sniff(file(name, bytes(damaged)), name)


def test_an_image_too_large_to_decode_safely_is_refused(preparer, assessment, monkeypatch):
    monkeypatch.setattr(attachments, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(attachments.AttachmentRefused, match=re.escape("“大图.png”的图像尺寸过大（超过 0 万像素）")):
        attach(assessment, preparer, name="大图.png", content=PNG)
    # Pillow's own guard, at open (its limit is process-wide: lowered here for this test only).
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    with pytest.raises(attachments.AttachmentRefused, match=re.escape("“大图.jpg”的图像尺寸过大")):
        attach(assessment, preparer, name="大图.jpg", content=JPEG)


def test_an_office_file_that_unpacks_too_large_is_refused(preparer, assessment, monkeypatch):
    monkeypatch.setattr(attachments, "MAX_UNPACKED_BYTES", 100)
    big = ooxml("xl/workbook.xml", XLSX_MAIN, main_body="<workbook>" + "<sheet/>" * 100 + "</workbook>")
    with pytest.raises(attachments.AttachmentRefused, match=re.escape("“台账.xlsx”不是有效的 Excel 文件")):
        attach(assessment, preparer, name="台账.xlsx", content=big)


# --- downloads ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type", "fallback"),
    [
        ("现场 照片.png", PNG, "image/png", "attachment.png"),
        ("验收报告-2024.pdf", PDF, "application/pdf", "2024.pdf"),
        (
            "résumé (final).docx",
            DOCX,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "resume_final.docx",
        ),
        ('a"b;c.pdf', PDF, "application/pdf", "a_b_c.pdf"),
    ],
)
def test_every_download_is_an_attachment_of_the_type_the_server_decided(
    client_for, preparer, assessment, name, content, content_type, fallback
):
    from urllib.parse import quote

    a = attach(assessment, preparer, name=name, content=content)
    response = client_for(preparer).get(reverse("attachment_download", args=[assessment.pk, a.pk]))
    assert (
        response["Content-Disposition"]
        == f"attachment; filename=\"{fallback}\"; filename*=utf-8''{quote(name, safe='')}"
    )
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == content


def test_a_stored_type_we_never_decide_is_served_as_bytes(client_for, preparer, assessment):
    a = attach(assessment, preparer)
    Attachment.objects.filter(pk=a.pk).update(content_type="text/html")  # say, a row edited by hand
    response = client_for(preparer).get(reverse("attachment_download", args=[assessment.pk, a.pk]))
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")


# --- who ----------------------------------------------------------------------------------------------


def test_the_reviewer_sees_and_downloads_but_cannot_add_or_delete(client_for, preparer, reviewer, assessment):
    a = attach(assessment, preparer)
    client = client_for(reviewer)
    page = client.get(reverse("attachment_list", args=[assessment.pk])).content.decode()
    assert "验收报告.pdf" in page and 'name="files"' not in page and "确认删除" not in page
    response = client.get(reverse("attachment_download", args=[assessment.pk, a.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    upload(client, assessment, file("x.pdf", PDF))
    client.post(reverse("attachment_delete", args=[assessment.pk, a.pk]))
    assert list(Attachment.objects.values_list("original_name", flat=True)) == ["验收报告.pdf"]


def test_office_files_are_downloaded_not_opened(client_for, preparer, assessment):
    a = attach(assessment, preparer, name="总结.docx", content=DOCX)
    response = client_for(preparer).get(reverse("attachment_download", args=[assessment.pk, a.pk]))
    assert response["Content-Disposition"].startswith("attachment")
    assert "filename*=utf-8''%E6%80%BB%E7%BB%93.docx" in response["Content-Disposition"]


def test_a_user_of_another_unit_gets_404_everywhere_and_changes_nothing(
    client_for, preparer, outsider, assessment, media
):
    a = attach(assessment, preparer)
    client = client_for(outsider)
    for response in (
        client.get(reverse("attachment_list", args=[assessment.pk])),
        client.get(reverse("attachment_download", args=[assessment.pk, a.pk])),
        upload(client, assessment, file("x.pdf", PDF)),
        client.post(reverse("attachment_delete", args=[assessment.pk, a.pk])),
    ):
        assert response.status_code == 404
        assert b"\xe9\xaa\x8c\xe6\x94\xb6" not in response.content  # 验收
    assert Attachment.objects.count() == 1 and (media / a.file.name).exists()


def test_an_attachment_is_reached_only_through_its_own_form(client_for, preparer, assessment, project):
    from .factories import complete_assessment

    other = complete_assessment(project, year=2022)
    a = attach(assessment, preparer)
    assert client_for(preparer).get(reverse("attachment_download", args=[other.pk, a.pk])).status_code == 404


# --- deleting and locking ------------------------------------------------------------------------------


def test_the_preparer_deletes_while_editable_and_the_file_goes_after_commit(
    client_for, preparer, assessment, media, django_capture_on_commit_callbacks
):
    a = attach(assessment, preparer)
    path = media / a.file.name
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(preparer).post(
            reverse("attachment_delete", args=[assessment.pk, a.pk]), headers={"HX-Request": "true"}
        )
    assert response.status_code == 200 and "已删除“验收报告.pdf”。" in response.content.decode()
    assert not Attachment.objects.exists() and not path.exists()
    assert a.history.filter(history_type="-").get().history_user == preparer


@pytest.mark.parametrize("status", ["submitted", "approved"])
def test_attachments_are_locked_with_the_form(client_for, preparer, assessment, status):
    a = attach(assessment, preparer)
    SelfAssessment.objects.filter(pk=assessment.pk).update(status=status)
    client = client_for(preparer)
    response = upload(client, assessment, file("晚到的.pdf", PDF), htmx=True)
    expected = "已审核通过并锁定" if status == "approved" else "当前状态为“已提交”"
    assert expected in response.content.decode()
    response = client.post(reverse("attachment_delete", args=[assessment.pk, a.pk]), follow=True)
    assert expected in response.content.decode()
    assert list(Attachment.objects.values_list("original_name", flat=True)) == ["验收报告.pdf"]
    page = client.get(reverse("attachment_list", args=[assessment.pk])).content.decode()
    assert "验收报告.pdf" in page and 'name="files"' not in page and "确认删除" not in page


def test_a_returned_form_takes_attachments_again(preparer, assessment):
    SelfAssessment.objects.filter(pk=assessment.pk).update(status="returned")
    assert attach(assessment, preparer).pk


def test_a_plain_post_comes_back_to_the_page_it_came_from(client_for, preparer, assessment):
    back = reverse("assessment_edit", args=[assessment.pk])
    response = client_for(preparer).post(
        reverse("attachment_list", args=[assessment.pk]), {"files": [file("a.pdf", PDF)], "next": back}
    )
    assert response["Location"] == back
    response = client_for(preparer).post(
        reverse("attachment_list", args=[assessment.pk]),
        {"files": [file("b.pdf", PDF)], "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("attachment_list", args=[assessment.pk])


def test_the_panel_costs_the_same_queries_for_one_or_ten_files(
    client_for, preparer, assessment, django_assert_num_queries
):
    client = client_for(preparer)
    url = reverse("attachment_list", args=[assessment.pk])
    attach(assessment, preparer)
    client.get(url)
    with django_assert_num_queries(5):  # session, user, memberships, the form, its attachments with uploaders
        client.get(url)
    for i in range(9):
        attach(assessment, preparer, name=f"{i}.pdf")
    with django_assert_num_queries(5):
        assert client.get(url).content.decode().count('data-testid="attachment"') == 10
