"""佐证材料: types checked by content, size limits, who may add, see and delete, locked with the form."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from projects import attachments
from projects.models import Attachment, SelfAssessment

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 64
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504


def ooxml(main_part: str, content_type: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(
            "[Content_Types].xml", f'<Types><Override PartName="/{main_part}" ContentType="{content_type}"/></Types>'
        )
        archive.writestr(main_part, "<x/>")
    return out.getvalue()


DOCX = ooxml("word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml")
DOCM = ooxml("word/document.xml", "application/vnd.ms-word.document.macroEnabled.main+xml")
XLSX = ooxml("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")


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
        ("旧通知.doc", OLE, "application/msword"),
        ("旧台账.xls", OLE, "application/vnd.ms-excel"),
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
        ("旧.ppt", OLE, "“旧.ppt”是旧版 Office 文件，但扩展名不是 .doc 或 .xls。"),
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


# --- who ----------------------------------------------------------------------------------------------


def test_the_reviewer_sees_and_downloads_but_cannot_add_or_delete(client_for, preparer, reviewer, assessment):
    a = attach(assessment, preparer)
    client = client_for(reviewer)
    page = client.get(reverse("attachment_list", args=[assessment.pk])).content.decode()
    assert "验收报告.pdf" in page and 'name="files"' not in page and "确认删除" not in page
    response = client.get(reverse("attachment_download", args=[assessment.pk, a.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
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
