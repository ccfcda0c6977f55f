"""Settings of the peer, tuned as its operators would tune it for this workload.

Served by gunicorn like SIGAP. SQLite in WAL mode with synchronous=FULL, SIGAP's
durability; one transaction per request (ATOMIC_REQUESTS) and persistent connections, the
fastest correct configuration Django offers, so the comparison flatters the peer, not SIGAP.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("PEER_SECRET_KEY", "bench-peer-not-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "rapidsms",
    "rapidsms.contrib.messagelog",
    "ack",
]
# No middleware: nothing of the default stack serves a webhook, and each layer costs time.
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "peer.urls"
WSGI_APPLICATION = "peer.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("PEER_DB", str(BASE_DIR / "peer.db")),
        "ATOMIC_REQUESTS": True,
        "CONN_MAX_AGE": None,
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL",
            # Take the write lock at BEGIN: two workers never deadlock upgrading a read.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
TIME_ZONE = "UTC"

# RapidSMS: the default (blocking) router; one backend that turns replies into TwiML.
RAPIDSMS_ROUTER = "rapidsms.router.blocking.BlockingRouter"
INSTALLED_BACKENDS = {"twilio": {"ENGINE": "ack.backend.TwimlBackend"}}

TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
ACK_TEXT = "Pesan Anda sudah kami terima. Terima kasih."

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
}
