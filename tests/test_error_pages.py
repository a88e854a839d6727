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
