"""The webhook: RapidSMS's generic HTTP backend view, with Twilio's signature and TwiML."""

from functools import cache
from typing import ClassVar

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden
from rapidsms.backends.http.views import GenericHttpBackendView
from rapidsms.router import receive
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from ack.backend import collected_replies


@cache
def _validator() -> RequestValidator:
    return RequestValidator(settings.TWILIO_AUTH_TOKEN)


class TwilioWebhook(GenericHttpBackendView):
    """Verify X-Twilio-Signature, route the message, answer with the replies as TwiML."""

    backend_name = "twilio"
    http_method_names: ClassVar[list[str]] = ["post"]
    params: ClassVar[dict[str, str]] = {"identity_name": "From", "text_name": "Body"}

    def post(self, request, *args, **kwargs):
        # https://www.twilio.com/docs/usage/security#validating-requests
        signature = request.headers.get("X-Twilio-Signature", "")
        url = request.build_absolute_uri()
        if not _validator().validate(url, request.POST.dict(), signature):
            return HttpResponseForbidden("bad signature")
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        with collected_replies() as replies:
            receive(**form.get_incoming_data())
        twiml = MessagingResponse()
        for text in replies:
            twiml.message(text)
        return HttpResponse(str(twiml), content_type="application/xml")
