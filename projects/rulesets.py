"""Changing a year's 评分规则, and re-evaluating that year's forms in the background.

`change()` is the only way a rule set changes (the settings page and `manage.py scoring_rules` call it): it
validates, bumps the version, writes one history row and queues a Reevaluation of the year's drafts,
submitted and returned forms once the transaction has committed. Approved forms are never touched: their
stored evaluation is frozen with the rules they were approved under (projects.evaluation).
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.tasks import task
from django.utils import timezone

from . import evaluation
from .models import Reevaluation, ScoringRules, SelfAssessment

logger = logging.getLogger(__name__)
Status = SelfAssessment.Status

# Forms re-evaluated per transaction: each chunk locks its forms briefly, so editors wait at most one chunk.
CHUNK = 500


def years() -> list[int]:
    """The years that have forms or a rule set, newest first."""
    found = set(SelfAssessment.objects.values_list("year", flat=True).distinct())
    found |= set(ScoringRules.objects.values_list("year", flat=True))
    return sorted(found, reverse=True)


def default_year() -> int:
    newest = SelfAssessment.objects.aggregate(year=Max("year"))["year"]
    return newest or timezone.now().year


def latest_job(year: int) -> Reevaluation | None:
    return Reevaluation.objects.filter(year=year).order_by("-created_at", "-pk").first()


def reevaluated(year: int):
    """The forms a rules change of `year` re-evaluates: every one that is not approved."""
    return SelfAssessment.objects.filter(year=year).exclude(status=Status.APPROVED)


def change(user, rules: ScoringRules, values: dict) -> Reevaluation | None:
    """Save new values of a year's rule set and re-evaluate the year's unapproved forms.

    `values` are clean field values (the page's form or the command has parsed them). Raises ValidationError
    (with the models' messages) when they break a rule of the schema. Returns the queued job, or None when
    nothing changed.
    """
    with transaction.atomic():
        locked = ScoringRules.objects.select_for_update().get(pk=rules.pk)
        changed = [
            name for name in ScoringRules.RULE_FIELDS if name in values and getattr(locked, name) != values[name]
        ]
        if not changed:
            return None
        for name in changed:
            setattr(locked, name, values[name])
        locked.full_clean()
        locked.version += 1
        locked._history_user = user
        locked._change_reason = "rules changed"
        locked.save()
        job = Reevaluation.objects.create(
            year=locked.year, rules_version=locked.version, requested_by=user, total=reevaluated(locked.year).count()
        )
        # Enqueued once committed, or the worker could look for a job (or rules) that do not exist yet.
        transaction.on_commit(lambda: run_reevaluation.enqueue(job.pk))
    rules.refresh_from_db()
    return job


def reevaluate(year: int, progress=None) -> int:
    """Store afresh the evaluation of every unapproved form of `year`, CHUNK forms per transaction."""
    done = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            rules = evaluation.rules_row(year)
            # Locked like the editor locks a form: a save cannot slip between reading and storing.
            chunk = list(
                evaluation.with_rows(
                    reevaluated(year).filter(pk__gt=last_pk).order_by("pk").select_for_update(of=("self",))
                )[:CHUNK]
            )
            if not chunk:
                return done
            evaluation.store_many(chunk, rules)
        done += len(chunk)
        last_pk = chunk[-1].pk
        if progress:
            progress(done)


@task()
def run_reevaluation(job_id: int) -> int:
    """Run a Reevaluation job; returns how many forms it re-evaluated."""
    claimed = Reevaluation.objects.filter(pk=job_id, status=Reevaluation.Status.QUEUED).update(
        status=Reevaluation.Status.RUNNING
    )
    if not claimed:
        return 0  # taken already (a task delivered twice) or superseded
    job = Reevaluation.objects.get(pk=job_id)
    try:
        total = reevaluated(job.year).count()
        Reevaluation.objects.filter(pk=job_id).update(total=total, done=0)
        done = reevaluate(job.year, progress=lambda n: Reevaluation.objects.filter(pk=job_id).update(done=n))
    except Exception:
        logger.exception("re-evaluation %s failed", job_id)
        Reevaluation.objects.filter(pk=job_id).update(status=Reevaluation.Status.FAILED, finished_at=timezone.now())
        return 0
    except BaseException:
        # The worker was stopped mid-way (projects' `worker` command): each chunk is its own transaction and
        # re-evaluating is idempotent, so the job goes back in the queue and the next worker does it whole.
        logger.warning("re-evaluation %s interrupted; queued again", job_id)
        Reevaluation.objects.filter(pk=job_id).update(status=Reevaluation.Status.QUEUED)
        run_reevaluation.enqueue(job_id)
        raise
    Reevaluation.objects.filter(pk=job_id).update(
        status=Reevaluation.Status.DONE, done=done, total=max(total, done), finished_at=timezone.now()
    )
    return done


def validation_messages(error: ValidationError) -> list[str]:
    return [str(message) for message in error.messages]
