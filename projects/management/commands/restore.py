from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from projects import backups


class Command(BaseCommand):
    help = "Replace the database and the uploaded files with a backup made by `manage.py backup`."

    def add_arguments(self, parser):
        parser.add_argument("backup", type=Path)
        parser.add_argument("--yes", action="store_true", help="really replace everything (there is no undo)")

    def handle(self, backup, yes, **options):
        if not yes:
            raise CommandError("restore replaces the whole database and every uploaded file: add --yes to do it")
        try:
            backups.restore(backup)
        except (backups.BackupFailed, OSError, ValueError) as failure:
            raise CommandError(str(failure)) from None
        self.stdout.write(self.style.SUCCESS(f"restored from {backup}"))
