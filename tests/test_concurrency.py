"""Many people at once on one form, on SQLite (the demo's and small units' database) as on PostgreSQL: every
request answers 302 (done) or 409 (someone was first), never a server error, no update is lost and no
transition happens twice."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from projects import workflow
from projects.models import SelfAssessment, StatusChange

from .factories import complete_assessment
from .test_assessment_editing import post_data

PEOPLE = 20


def all_at_once(user, requests):
    """Each request in a thread of its own with its own connection, released together; the status codes."""
    start = threading.Barrier(len(requests), timeout=60)
    codes = []

    def run(path, data):
        client = Client()
        client.force_login(user)
        try:
            start.wait()
            codes.append(client.post(path, data).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=request) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return codes


@pytest.mark.django_db(transaction=True)
def test_twenty_saves_of_one_form_at_once(project, preparer):
    form = complete_assessment(project, created_by=preparer)
    path = reverse("assessment_edit", args=[form.pk])
    requests = [(path, post_data(form, goal_actual=f"第 {n} 位同事写的实际完成情况")) for n in range(PEOPLE)]

    codes = all_at_once(preparer, requests)

    assert len(codes) == PEOPLE and set(codes) <= {302, 409}, codes
    assert codes.count(302) == 1, "all started from the same version: the first wins, the others are told"
    form.refresh_from_db()
    assert form.version == 2
    assert form.goal_actual in {data["goal_actual"] for _p, data in requests}, "the winner's text, not lost"


@pytest.mark.django_db(transaction=True)
def test_twenty_approvals_of_one_form_at_once(project, preparer, reviewer):
    form = complete_assessment(project, created_by=preparer)
    version = workflow.submit(preparer, form.pk).version
    path = reverse("review_approve", args=[form.pk])

    codes = all_at_once(reviewer, [(path, {"version": version, "comment": ""})] * PEOPLE)

    assert len(codes) == PEOPLE and set(codes) <= {302, 409}, codes
    assert codes.count(302) == 1
    assert StatusChange.objects.filter(assessment=form, to_status=SelfAssessment.Status.APPROVED).count() == 1
    form.refresh_from_db()
    assert form.status == SelfAssessment.Status.APPROVED
