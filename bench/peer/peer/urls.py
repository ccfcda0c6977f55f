"""The peer's only URL: the same webhook paths SIGAP serves."""

from ack.views import TwilioWebhook
from django.urls import path

urlpatterns = [
    path("webhooks/twilio/<str:kind>", TwilioWebhook.as_view(), name="twilio-webhook"),
]
