"""A returned form says why on the page where the preparer fixes it."""

from projects import workflow


def test_the_reviewers_comment_stands_at_the_top_of_the_returned_form(client_for, preparer, reviewer, assessment):
    workflow.submit(preparer, assessment.pk)
    workflow.return_for_changes(reviewer, assessment.pk, comment="第9行缺少偏差原因，请补充后重新提交。")
    page = client_for(preparer).get(f"/assessments/{assessment.pk}/").content.decode()
    assert "这份自评表已被退回" in page
    assert "第9行缺少偏差原因，请补充后重新提交。" in page


def test_a_reopened_form_shows_the_administrators_reason(client_for, preparer, reviewer, admin_user, assessment):
    workflow.submit(preparer, assessment.pk)
    workflow.approve(reviewer, assessment.pk, comment="同意")
    workflow.reopen(admin_user, assessment.pk, comment="全年执行数与决算不符，请更正。")
    page = client_for(preparer).get(f"/assessments/{assessment.pk}/").content.decode()
    assert "已由财政管理员重新打开" in page and "全年执行数与决算不符，请更正。" in page


def test_a_draft_has_no_such_banner(client_for, preparer, assessment):
    assert "returned-comment" not in client_for(preparer).get(f"/assessments/{assessment.pk}/").content.decode()
