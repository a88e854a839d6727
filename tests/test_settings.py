"""Production settings come from the environment and pass Django's deployment checks; the tests run on their own
settings module."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

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
        "DEBUG",
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
