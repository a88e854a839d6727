"""The test suite's settings, chosen by pytest (pyproject.toml) and by `make test`'s migration check.

Everything else is perfeval.settings, read from the same environment (DATABASE_URL selects PostgreSQL).
"""

import os
import tempfile
from pathlib import Path

from perfeval.settings import *  # noqa: F403
from perfeval.settings import DATABASES

SECRET_KEY = "django-insecure-test-suite-only-key-never-use-in-production"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

# Batch printing runs inside the request or test that asks for it.
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
# PDFs in the test process itself (the tests of projects.printing.limits switch the limit on).
PERFEVAL_PDF_TIME_LIMIT = 0

SECURE_SSL_REDIRECT = False
# The suite does not run collectstatic: the files are served as they are (as under DEBUG).
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not Django's default in-memory test database: the live server of the browser tests answers each
    # request in a thread of its own, and with an in-memory database every thread would share the test's one
    # connection (the only way to see the same data), which sqlite3 does not allow to be used concurrently
    # ("bad parameter or other API misuse" when the htmx preview races a save). With a file each thread opens
    # its own connection, with the OPTIONS of perfeval.settings (WAL, IMMEDIATE, busy timeout), as under `make run`.
    # One file per test process, so that two runs on one machine do not delete each other's database.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"perfeval-test-{os.getpid()}.sqlite3"),
    }
