"""Backup and restore of a whole installation: the database and the uploaded files, one directory per backup.

SQLite through its online backup API (a consistent copy while people keep working), PostgreSQL through
pg_dump / pg_restore (custom format), MEDIA_ROOT as a tar archive beside it. A restore replaces both.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import tarfile
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.dump"}
MEDIA_FILE = "media.tar.gz"


class BackupFailed(Exception):
    """A backup or restore that could not be done; the message says why."""


def _vendor() -> str:
    if connection.vendor not in DATABASE_FILES:
        raise BackupFailed(f"backups support SQLite and PostgreSQL, not {connection.vendor}")
    return connection.vendor


def _pg_env() -> tuple[list[str], dict[str, str]]:
    db = connection.settings_dict
    args = ["-h", db.get("HOST") or "localhost", "-p", str(db.get("PORT") or 5432), "-U", db.get("USER") or ""]
    env = {"PATH": "/usr/bin:/bin:/usr/local/bin", "PGPASSWORD": db.get("PASSWORD") or ""}
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupFailed(f"{command[0]} is not installed (apt-get install postgresql-client)")
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupFailed(f"{command[0]} failed: {done.stderr.strip()[:2000]}")


def backup(directory: Path) -> Path:
    """A new backup under `directory`; its path."""
    vendor = _vendor()
    target = Path(directory) / f"perfeval-{timezone.localtime():%Y%m%d-%H%M%S-%f}"
    target.mkdir(parents=True)
    database = target / DATABASE_FILES[vendor]
    if vendor == "sqlite":
        connection.ensure_connection()
        copy = sqlite3.connect(database)
        try:
            connection.connection.backup(copy)
        finally:
            copy.close()
    else:
        args, env = _pg_env()
        _run(["pg_dump", "-Fc", *args, "-f", str(database), connection.settings_dict["NAME"]], env)
    media = Path(settings.MEDIA_ROOT)
    with tarfile.open(target / MEDIA_FILE, "w:gz") as archive:
        if media.is_dir():
            archive.add(media, arcname="media")
    return target


def restore(source: Path) -> None:
    """Replace the database and MEDIA_ROOT with those of the backup in `source`."""
    vendor = _vendor()
    source = Path(source)
    database = source / DATABASE_FILES[vendor]
    if not database.is_file() or not (source / MEDIA_FILE).is_file():
        raise BackupFailed(
            f"{source} is not a backup of this kind of database ({DATABASE_FILES[vendor]}, {MEDIA_FILE})"
        )
    if vendor == "sqlite":
        connection.ensure_connection()
        copy = sqlite3.connect(database)
        try:
            copy.backup(connection.connection)
        finally:
            copy.close()
    else:
        args, env = _pg_env()
        name = connection.settings_dict["NAME"]
        connection.close()
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", *args, "-d", name, str(database)], env)
    media = Path(settings.MEDIA_ROOT)
    with tarfile.open(source / MEDIA_FILE, "r:gz") as archive:
        staging = media.with_name(media.name + ".restoring")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        archive.extractall(staging, filter="data")  # no absolute paths, links out or devices
        shutil.rmtree(media, ignore_errors=True)
        restored = staging / "media"
        if restored.is_dir():
            restored.rename(media)
        else:
            media.mkdir(parents=True)
        shutil.rmtree(staging, ignore_errors=True)
