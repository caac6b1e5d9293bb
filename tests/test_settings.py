import secrets

import pytest
from django.core.exceptions import ImproperlyConfigured

from safeguarding.env import database_from_url, env_bool, env_int, env_list

SETUP = "import django; django.setup(); print('started')"


def production_env(**overrides):
    env = {
        "DJANGO_ENV": None,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "AUDIT_KEY": secrets.token_urlsafe(32),
        "ALLOWED_HOSTS": "safeguard.example.org",
        "DEBUG": None,
    }
    env.update(overrides)
    return env


@pytest.mark.parametrize("secret", ["SECRET_KEY", "AUDIT_KEY", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_each_secret(run_python, secret):
    result = run_python(SETUP, production_env(**{secret: None}))

    assert result.returncode != 0
    assert "started" not in result.stdout
    assert f"The environment variable {secret} must be set." in result.stderr


def test_production_starts_with_every_secret(run_python):
    result = run_python(SETUP, production_env())

    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_production_refuses_a_short_audit_key(run_python):
    result = run_python(SETUP, production_env(AUDIT_KEY="short"))

    assert result.returncode != 0
    assert "AUDIT_KEY must be at least 32 characters long." in result.stderr


def test_production_refuses_debug(run_python):
    result = run_python(SETUP, production_env(DEBUG="true"))

    assert result.returncode != 0
    assert "DEBUG may only be turned on with DJANGO_ENV=development." in result.stderr


def test_a_mistyped_setting_stops_the_start(run_python):
    result = run_python(SETUP, {"DJANGO_ENV": "development", "SECURE_HSTS_SECONDS": "a year"})

    assert result.returncode != 0
    assert "SECURE_HSTS_SECONDS must be a whole number; got 'a year'." in result.stderr


def test_an_unknown_environment_name_stops_the_start(run_python):
    result = run_python(SETUP, {"DJANGO_ENV": "dev"})

    assert result.returncode != 0
    assert "DJANGO_ENV must be one of production, development; got 'dev'." in result.stderr


def test_check_deploy_is_clean_in_production(run_python):
    result = run_python("", production_env(), "manage.py", "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stderr + result.stdout
    # One check is silenced on purpose: see AXES_LOCKOUT_PARAMETERS in settings.py.
    assert "System check identified no issues (1 silenced)." in result.stdout


def test_production_settings_are_strict(run_python):
    code = (
        "import django; django.setup(); from django.conf import settings as s;"
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_HSTS_SECONDS, s.TIME_ZONE, s.LANGUAGE_CODE, bool(s.SECURE_CSP), s.SESSION_COOKIE_NAME,"
        " s.CSRF_COOKIE_NAME)"
    )
    result = run_python(code, production_env())

    assert result.stdout.split() == [
        "False",
        "True",
        "True",
        "True",
        "31536000",
        "Europe/London",
        "en-gb",
        "True",
        "__Host-sessionid",
        "__Host-csrftoken",
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), ("On", True), ("0", False), ("no", False), ("OFF", False)],
)
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("SAFEGUARD_FLAG", raw)
    assert env_bool("SAFEGUARD_FLAG") is expected


def test_env_bool_refuses_anything_else(monkeypatch):
    monkeypatch.setenv("SAFEGUARD_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="SAFEGUARD_FLAG must be one of"):
        env_bool("SAFEGUARD_FLAG")


def test_env_int_checks_its_minimum(monkeypatch):
    monkeypatch.setenv("SAFEGUARD_NUMBER", "-1")
    with pytest.raises(ImproperlyConfigured, match="at least 0"):
        env_int("SAFEGUARD_NUMBER", minimum=0)


def test_env_list_splits_on_commas(monkeypatch):
    monkeypatch.setenv("SAFEGUARD_HOSTS", " a.example , b.example,,")
    assert env_list("SAFEGUARD_HOSTS") == ["a.example", "b.example"]


def test_database_url_for_postgresql():
    database = database_from_url("postgres://app:p%40ss@db.internal:6543/safeguard?sslmode=require")

    assert database == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "safeguard",
        "USER": "app",
        "PASSWORD": "p@ss",
        "HOST": "db.internal",
        "PORT": "6543",
        "OPTIONS": {"sslmode": "require"},
    }


def test_database_url_with_a_socket_directory():
    database = database_from_url("postgresql://app@/safeguard?host=/run/postgresql")

    assert database["HOST"] == "/run/postgresql"
    assert database["OPTIONS"] == {}


def test_database_url_for_sqlite():
    assert database_from_url("sqlite:////srv/safeguard/db.sqlite3")["NAME"] == "/srv/safeguard/db.sqlite3"
    assert database_from_url("sqlite:///var/db.sqlite3")["NAME"] == "var/db.sqlite3"


@pytest.mark.parametrize("url", ["mysql://app@db/safeguard", "postgres://app@db/"])
def test_database_url_refuses_what_it_cannot_use(url):
    with pytest.raises(ImproperlyConfigured):
        database_from_url(url)


def test_database_url_selects_postgresql_in_a_started_site(run_python):
    code = "import django; django.setup(); from django.db import connection; print(connection.vendor)"
    result = run_python(
        code,
        {"DJANGO_ENV": "development", "DATABASE_URL": "postgres://someone@db.example/safeguard", "PGHOST": None},
    )
    assert result.stdout.strip() == "postgresql"


def test_without_database_settings_the_embedded_sqlite_file_is_used(run_python):
    code = "import django; django.setup(); from django.db import connection; print(connection.vendor)"
    env = {"DJANGO_ENV": "development", "DATABASE_URL": None, "PGHOST": None, "PGDATABASE": None}
    result = run_python(code, env)
    assert result.stdout.strip() == "sqlite"
