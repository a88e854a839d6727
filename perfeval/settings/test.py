"""The test suite's settings, chosen by pytest (pyproject.toml) and by `make test`'s migration check.

Everything else is perfeval.settings, read from the same environment (DATABASE_URL selects PostgreSQL).
"""

from perfeval.settings import *  # noqa: F403

SECRET_KEY = "django-insecure-test-suite-only-key-never-use-in-production"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

# Batch printing runs inside the request or test that asks for it.
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
