"""Production settings come from the environment and pass Django's deployment checks; the tests run on their own
settings module; SQLite is set up for concurrent requests."""

import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction

from perfeval.settings import env_bool

ROOT = Path(__file__).resolve().parents[1]


def run_manage(*args, **env):
    """manage.py in a fresh process on the deployed settings (pytest's own are perfeval.settings.test)."""
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "PERFEVAL_TESTING", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environment["DJANGO_SETTINGS_MODULE"] = "perfeval.settings"
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_check_deploy_reports_nothing_with_production_values():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="x" * 20 + "-a-long-random-production-secret-key-0123456789",
        ALLOWED_HOSTS="perfeval.example.gov.cn",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_database_url_selects_postgresql():
    code = "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
    result = subprocess.run(
        [sys.executable, "-c", f"import django, os; django.setup(); {code}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "perfeval.settings",
            "DEBUG": "1",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/perfeval",
        },
    )
    assert result.stdout.strip() == "django.db.backends.postgresql", result.stderr


def test_language_and_time_zone(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert ("en", "English") in [(code, str(name)) for code, name in settings.LANGUAGES]


# --- on/off switches -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *[(word, True) for word in ("1", "true", "yes", "on", "TRUE", "Yes", "On", " on ")],
        *[(word, False) for word in ("0", "false", "no", "off", "FALSE", "No", "OFF", " 0 ")],
    ],
)
def test_env_bool_reads_each_accepted_spelling(monkeypatch, value, expected):
    monkeypatch.setenv("PERFEVAL_SWITCH", value)
    assert env_bool("PERFEVAL_SWITCH", default=not expected) is expected


@pytest.mark.parametrize("default", [True, False])
@pytest.mark.parametrize("value", [None, "", "  "])
def test_env_bool_unset_or_blank_is_the_default(monkeypatch, value, default):
    if value is None:
        monkeypatch.delenv("PERFEVAL_SWITCH", raising=False)
    else:
        monkeypatch.setenv("PERFEVAL_SWITCH", value)
    assert env_bool("PERFEVAL_SWITCH", default=default) is default


@pytest.mark.parametrize("value", ["fasle", "ture", "2", "-1", "y", "n", "enabled", "true1", "o n"])
def test_env_bool_refuses_anything_else_and_names_the_variable(monkeypatch, value):
    monkeypatch.setenv("PERFEVAL_SWITCH", value)
    with pytest.raises(ImproperlyConfigured, match=rf"^PERFEVAL_SWITCH={value!r} is not an on/off value"):
        env_bool("PERFEVAL_SWITCH")


def test_a_mistyped_debug_stops_the_start():
    result = run_manage("check", DEBUG="fasle", SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "DEBUG='fasle' is not an on/off value" in result.stderr


# --- the test settings are chosen, not detected ------------------------------------------------------------


def test_pytest_runs_on_the_test_settings(settings):
    assert settings.SETTINGS_MODULE == "perfeval.settings.test"
    assert settings.TASKS["default"]["BACKEND"] == "django.tasks.backends.immediate.ImmediateBackend"
    assert settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_the_deployed_settings_do_not_relax_when_pytest_is_imported():
    """No more `"pytest" in sys.modules`: a process that imported pytest gets the same refusal."""
    code = "import pytest, django; django.setup()"
    environment = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "PERFEVAL_TESTING"}}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**environment, "DJANGO_SETTINGS_MODULE": "perfeval.settings", "PERFEVAL_TESTING": "1"},
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


# --- SQLite under concurrent requests ------------------------------------------------------------------------


def test_sqlite_is_configured_for_concurrent_requests():
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.DATABASES['default']['OPTIONS']))"
    )
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**environment, "DJANGO_SETTINGS_MODULE": "perfeval.settings", "DEBUG": "1"},
    )
    assert result.returncode == 0, result.stderr
    import json

    options = json.loads(result.stdout)
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 5
    assert "PRAGMA journal_mode=WAL" in options["init_command"]


sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="SQLite's locking: PostgreSQL has row locks and MVCC for concurrent writers",
)


@sqlite_only
def test_the_sqlite_test_database_is_a_file_with_the_settings_pragmas(db):
    """Each thread of the live server opens its own connection to it (an in-memory database would be shared)."""
    assert not connection.is_in_memory_db()
    assert Path(connection.settings_dict["NAME"]).is_file()
    with connection.cursor() as cursor:
        assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert cursor.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert cursor.execute("PRAGMA busy_timeout").fetchone()[0] == 20_000  # OPTIONS["timeout"], in ms


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_on_sqlite_wait_their_turn():
    """Threads, each with its own connection, run read-then-write transactions all at once: none is told
    "database is locked", and none saw a count that another one changed meanwhile (they ran one after another)."""
    threads, rounds = 4, 5
    start = threading.Barrier(threads, timeout=30)
    failures = []

    def write():
        try:
            start.wait()
            for _ in range(rounds):
                with transaction.atomic():
                    seen = Group.objects.count()
                    Group.objects.create(name=f"group {seen}")
        except Exception as exc:  # reported below, with the thread's error
            failures.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=write) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not [worker for worker in workers if worker.is_alive()]
    assert failures == []
    assert sorted(Group.objects.values_list("name", flat=True)) == sorted(f"group {n}" for n in range(threads * rounds))


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_why_immediate_a_deferred_reader_cannot_turn_writer_after_another_commit():
    """The failure that IMMEDIATE prevents, step by step (no threads needed): without it, a transaction that has
    read is refused at once, busy timeout or not, when it writes after another transaction committed."""
    first, second = (
        sqlite3.connect(connection.settings_dict["NAME"], timeout=20, isolation_level=None) for _ in range(2)
    )
    try:
        for conn in (first, second):
            conn.execute("BEGIN DEFERRED")
            conn.execute("SELECT count(*) FROM auth_group").fetchone()
        first.execute("INSERT INTO auth_group (name) VALUES ('first')")
        first.execute("COMMIT")
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            second.execute("INSERT INTO auth_group (name) VALUES ('second')")
        second.execute("ROLLBACK")
    finally:
        first.close()
        second.close()
    assert list(Group.objects.values_list("name", flat=True)) == ["first"]


@pytest.mark.parametrize("key", ["k", "x" * 60, "django-insecure-" + "abcdefghij" * 5])
def test_production_refuses_a_weak_secret_key(key):
    result = run_manage("check", DEBUG="0", SECRET_KEY=key, ALLOWED_HOSTS="perfeval.example.gov.cn")
    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr


def test_the_proxy_header_and_hsts_preload_are_deliberate_choices():
    code = (
        "from django.conf import settings as s; "
        "print(getattr(s, 'SECURE_PROXY_SSL_HEADER', None), s.SECURE_HSTS_PRELOAD)"
    )
    production = {"DEBUG": "0", "SECRET_KEY": "Zq8-Lm4_Rt7w" * 5, "ALLOWED_HOSTS": "perfeval.example.gov.cn"}
    assert run_manage("shell", "-c", code, **production).stdout.strip().splitlines()[-1] == "None False"
    chosen = run_manage("shell", "-c", code, BEHIND_HTTPS_PROXY="1", SECURE_HSTS_PRELOAD="1", **production)
    assert chosen.stdout.strip().splitlines()[-1] == "('HTTP_X_FORWARDED_PROTO', 'https') True"


def test_signed_in_pages_are_private_and_every_page_has_a_permissions_policy(client, preparer):
    anonymous = client.get("/login/")
    assert "camera=()" in anonymous["Permissions-Policy"]
    client.force_login(preparer)
    page = client.get("/")
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"] and "private" in page["Cache-Control"]
    assert "camera=()" in page["Permissions-Policy"]


def test_gunicorn_settings_follow_the_environment(monkeypatch):
    import runpy

    conf = ROOT / "perfeval" / "gunicorn.conf.py"
    monkeypatch.setenv("PORT", "8123")
    monkeypatch.delenv("BIND", raising=False)
    monkeypatch.delenv("WEB_WORKERS", raising=False)
    values = runpy.run_path(str(conf))
    assert values["bind"] == "127.0.0.1:8123" and values["workers"] == (os.cpu_count() or 2)
    assert values["timeout"] >= 30 and values["threads"] >= 2
