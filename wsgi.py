"""The WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

from core.app import create_app
from core.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:
    raise SystemExit(f"sigap: {exc}") from None
