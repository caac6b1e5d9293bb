"""Typed readers for settings that come from the environment.

Each reader returns a value of one type or raises ImproperlyConfigured naming the variable, so
that a mistyped setting stops the site at start-up instead of misbehaving later.
"""

import json
import os
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

REQUIRED = object()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _raw(name: str, default):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        if default is REQUIRED:
            raise ImproperlyConfigured(f"The environment variable {name} must be set.")
        return default
    return value.strip()


def env_str(name: str, default=REQUIRED) -> str:
    return _raw(name, default)


def env_bool(name: str, default=REQUIRED) -> bool:
    value = _raw(name, default)
    if isinstance(value, bool):
        return value
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {value!r}.")


def env_int(name: str, default=REQUIRED, *, minimum: int | None = None) -> int:
    value = _raw(name, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ImproperlyConfigured(f"{name} must be a whole number; got {value!r}.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {number}.")
    return number


def env_list(name: str, default=REQUIRED) -> list[str]:
    value = _raw(name, default)
    if isinstance(value, list):
        return value
    return [item.strip() for item in value.split(",") if item.strip()]


def env_choice(name: str, choices: tuple[str, ...], default=REQUIRED) -> str:
    value = _raw(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}; got {value!r}.")
    return value


def env_json(name: str, default=REQUIRED) -> dict:
    value = _raw(name, default)
    if isinstance(value, dict):
        return value
    try:
        parsed = json.loads(value)
    except ValueError:
        raise ImproperlyConfigured(f'{name} must be a JSON object, e.g. {{"bucket_name": "safeguard"}}.') from None
    if not isinstance(parsed, dict):
        raise ImproperlyConfigured(f"{name} must be a JSON object; got {value!r}.")
    return parsed


def database_from_url(url: str) -> dict:
    """Turn postgres://user:password@host:port/name?option=value (or sqlite:///path) into a DATABASES entry."""
    parts = urlsplit(url)
    options = dict(parse_qsl(parts.query))
    if parts.scheme in ("postgres", "postgresql"):
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ImproperlyConfigured("DATABASE_URL must name the database, e.g. postgres://user@host/safeguard.")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            # A Unix socket directory can be given as ?host=/run/postgresql.
            "HOST": options.pop("host", None) or unquote(parts.hostname or ""),
            "PORT": options.pop("port", None) or (str(parts.port) if parts.port else ""),
            "OPTIONS": options,
        }
    if parts.scheme == "sqlite":
        # sqlite:///relative.sqlite3 or sqlite:////absolute/path.sqlite3
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": unquote(parts.path)[1:], "OPTIONS": options}
    raise ImproperlyConfigured(
        f"DATABASE_URL must start with postgres://, postgresql:// or sqlite://; got {parts.scheme!r}."
    )


def database_from_environment(sqlite_path) -> dict:
    """DATABASE_URL first, then the libpq PG* variables, else the embedded SQLite file."""
    url = env_str("DATABASE_URL", None)
    if url:
        return database_from_url(url)
    if any(os.environ.get(name) for name in ("PGHOST", "PGDATABASE", "PGSERVICE")):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": env_str("PGDATABASE", None) or env_str("PGUSER", None) or "postgres",
            "USER": env_str("PGUSER", ""),
            "PASSWORD": env_str("PGPASSWORD", ""),
            "HOST": env_str("PGHOST", ""),
            "PORT": env_str("PGPORT", ""),
            "OPTIONS": {},
        }
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(sqlite_path), "OPTIONS": {}}
