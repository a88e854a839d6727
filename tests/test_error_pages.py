"""Refusals and missing pages answer in the product's own words and layout, never Django's English page."""


def test_a_refusal_says_why_in_chinese(client_for, preparer):
    response = client_for(preparer).get("/settings/scoring/")
    page = response.content.decode()
    assert response.status_code == 403
    assert "只有财政管理员可以修改评分规则。" in page
    assert "返回我的自评表" in page and "403 Forbidden" not in page


def test_a_form_outside_the_users_units_is_simply_not_found(client_for, outsider, assessment):
    response = client_for(outsider).get(f"/assessments/{assessment.pk}/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "找不到这个页面" in page
    assert assessment.project.name not in page


def test_the_server_error_page_needs_no_request_context():
    from django.template.loader import render_to_string

    page = render_to_string("500.html")
    assert "系统出错了" in page


def test_a_file_with_a_huge_name_gets_a_message_in_chinese(client_for, preparer, assessment, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from .test_attachments import PDF

    settings.MEDIA_ROOT = tmp_path
    client = client_for(preparer)
    for url, field in (
        (reverse("attachment_list", args=[assessment.pk]), "files"),
        (reverse("json_upload"), "file"),
        (reverse("excel_import"), "file"),
    ):
        name = "很长的文件名" * 170 + ".pdf"
        response = client.post(url, {field: SimpleUploadedFile(name, PDF)})
        page = response.content.decode()
        assert response.status_code in (200, 302, 400), url
        assert "Bad Request" not in page
        if response.status_code == 400:
            assert "文件名" in page or "不是" in page


def test_a_bad_request_page_is_in_chinese(client, settings):
    from django.template.loader import render_to_string

    page = render_to_string("400.html")
    assert "这次提交无法处理" in page and "Bad Request" not in page


def test_the_health_endpoint_checks_the_database(client, db, monkeypatch):
    from django.db import DatabaseError
    from django.db.backends.utils import CursorWrapper

    assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}

    def down(*args, **kwargs):
        raise DatabaseError("connection refused")

    with monkeypatch.context() as patched:
        patched.setattr(CursorWrapper, "execute", down)
        response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["database"] == "unreachable"
