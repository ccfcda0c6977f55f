"""The RapidSMS app: acknowledge every message, as SIGAP's first reply does."""

from django.conf import settings
from rapidsms.apps.base import AppBase


class AckApp(AppBase):
    """Reply to every incoming message in the handle phase."""

    def handle(self, msg) -> bool:
        msg.respond(settings.ACK_TEXT)
        return True
