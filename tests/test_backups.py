"""A backup taken while the installation runs can be restored: the forms and the uploaded files come back."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from projects.models import SelfAssessment

from .factories import complete_assessment


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_round_trip(project, preparer, settings, tmp_path):
    if connection.vendor == "postgresql":
        import shutil

        if not shutil.which("pg_dump"):
            pytest.skip("pg_dump is not installed")
    settings.MEDIA_ROOT = tmp_path / "media"
    (settings.MEDIA_ROOT / "attachments").mkdir(parents=True)
    (settings.MEDIA_ROOT / "attachments" / "验收报告.pdf").write_bytes(b"kept")
    form = complete_assessment(project, created_by=preparer)
    form.goal_actual = "备份时的内容"
    form.save()

    call_command("backup", str(tmp_path / "backups"))
    (backup,) = (tmp_path / "backups").iterdir()

    SelfAssessment.objects.filter(pk=form.pk).update(goal_actual="备份之后改的")
    (settings.MEDIA_ROOT / "attachments" / "验收报告.pdf").unlink()
    (settings.MEDIA_ROOT / "later.txt").write_text("after")

    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(backup))
    call_command("restore", str(backup), "--yes")

    assert SelfAssessment.objects.get(pk=form.pk).goal_actual == "备份时的内容"
    assert (settings.MEDIA_ROOT / "attachments" / "验收报告.pdf").read_bytes() == b"kept"
    assert not (settings.MEDIA_ROOT / "later.txt").exists()


def test_restore_refuses_a_directory_that_is_no_backup(tmp_path, db):
    with pytest.raises(CommandError, match="not a backup"):
        call_command("restore", str(tmp_path), "--yes")
