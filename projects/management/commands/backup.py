from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from projects import backups


class Command(BaseCommand):
    help = "Back up the database and the uploaded files into a new directory under DIRECTORY."

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)

    def handle(self, directory, **options):
        try:
            target = backups.backup(directory)
        except (backups.BackupFailed, OSError) as failure:
            raise CommandError(str(failure)) from None
        self.stdout.write(self.style.SUCCESS(str(target)))
