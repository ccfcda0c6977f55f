"""Provider adapters: the only code that knows a provider's field names, in and out."""

from __future__ import annotations

from collections.abc import Mapping

from channels.base import (
    ChannelError,
    ChannelFacts,
    DeliveryStatus,
    InboundMessage,
    MediaRef,
    Outgoing,
    Provider,
    SendOutcome,
    SendResult,
    StatusUpdate,
    facts_of,
    is_trusted_url,
    message_facts,
)
from channels.console import ConsoleProvider
from channels.phone import mask_phone, normalize_phone
from channels.router import Router, Unconfigured
from channels.smsgate_send import SmsGateProvider
from channels.twilio import CHANNELS, TwilioChannel, channel_for
from channels.twilio_send import TwilioProvider
from channels.whatsapp_cloud_send import WhatsAppCloudProvider
from core.config import ConfigError
from models.vocab import Channel

__all__ = [
    "CHANNELS",
    "ChannelError",
    "ChannelFacts",
    "ConsoleProvider",
    "DeliveryStatus",
    "InboundMessage",
    "MediaRef",
    "Outgoing",
    "Provider",
    "Router",
    "SendOutcome",
    "SendResult",
    "SmsGateProvider",
    "StatusUpdate",
    "TwilioChannel",
    "TwilioProvider",
    "WhatsAppCloudProvider",
    "alert_template",
    "channel_for",
    "facts_of",
    "is_trusted_url",
    "make_provider",
    "mask_phone",
    "message_facts",
    "normalize_phone",
]


def _setting(config: Mapping[str, object], key: str) -> str | None:
    """Return a configuration string, None when unset or blank."""
    value = config.get(key)
    if value is None:
        return None
    return str(value).strip() or None


#: The providers SIGAP_PROVIDER may name.
PROVIDERS = ("twilio", "console")


def make_provider(config: Mapping[str, object]) -> Provider:
    """Return what sends each channel; the console provider only when SIGAP_PROVIDER names it.

    SMSGate sends SMS and the Cloud API WhatsApp where they are configured, Twilio the
    channels left. The console provider sends nothing: it is used only when chosen (`make
    run` chooses it when no provider is configured), so a deployment missing a credential
    fails at start instead of printing what should have gone to an officer. A channel no
    configured provider serves answers "try another channel" (WhatsApp falls back to SMS).
    """
    choice = (_setting(config, "SIGAP_PROVIDER") or "").lower() or None
    if choice is not None and choice not in PROVIDERS:
        raise ConfigError(f"SIGAP_PROVIDER must be one of {', '.join(PROVIDERS)}, not {choice!r}")
    if choice == "console":
        return ConsoleProvider()
    twilio = _twilio(config)
    by_channel: dict[str, Provider] = {}
    smsgate = _smsgate(config)
    if smsgate is not None:
        by_channel[Channel.SMS] = smsgate
    cloud = _whatsapp_cloud(config)
    if cloud is not None:
        by_channel[Channel.WHATSAPP] = cloud
    if by_channel:
        by_via: dict[tuple[str, str], Provider] = {}
        if twilio is not None:
            by_via.update({(twilio.name, kind): twilio for kind in Channel})
        if smsgate is not None:
            by_via[(smsgate.name, Channel.SMS)] = smsgate
        if cloud is not None:
            by_via[(cloud.name, Channel.WHATSAPP)] = cloud
        return Router(by_channel, twilio or Unconfigured(), by_via)
    if twilio is None:
        raise ConfigError(
            "no provider for outbound messages: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN "
            "(or SMSGATE_API_URL..., WHATSAPP_CLOUD_ACCESS_TOKEN...), or SIGAP_PROVIDER=console "
            "to print them (development)"
        )
    return twilio


def _smsgate(config: Mapping[str, object]) -> SmsGateProvider | None:
    """Return the SMSGate provider when its API URL and credentials are configured."""
    url = _setting(config, "SMSGATE_API_URL")
    username = _setting(config, "SMSGATE_USERNAME")
    password = _setting(config, "SMSGATE_PASSWORD")
    if not (url and username and password):
        return None
    return SmsGateProvider(url, username, password)


def _whatsapp_cloud(config: Mapping[str, object]) -> WhatsAppCloudProvider | None:
    """Return the Cloud API provider when its access token and number id are configured."""
    token = _setting(config, "WHATSAPP_CLOUD_ACCESS_TOKEN")
    number_id = _setting(config, "WHATSAPP_CLOUD_PHONE_NUMBER_ID")
    if not (token and number_id):
        return None
    return WhatsAppCloudProvider(
        token, number_id, api_base_url=_setting(config, "WHATSAPP_CLOUD_API_BASE_URL")
    )


def _twilio(config: Mapping[str, object]) -> TwilioProvider | None:
    """Return the Twilio provider when its credentials are configured."""
    account_sid = _setting(config, "TWILIO_ACCOUNT_SID")
    auth_token = _setting(config, "TWILIO_AUTH_TOKEN")
    if not (account_sid and auth_token):
        return None
    return TwilioProvider(
        account_sid,
        auth_token,
        sms_from=_setting(config, "TWILIO_SMS_FROM"),
        messaging_service_sid=_setting(config, "TWILIO_MESSAGING_SERVICE_SID"),
        whatsapp_from=_setting(config, "TWILIO_WHATSAPP_FROM"),
        api_base_url=_setting(config, "TWILIO_API_BASE_URL"),
    )


def alert_template(config: Mapping[str, object]) -> str | None:
    """Return the approved WhatsApp template alerts go out with; None: alerts go by SMS."""
    # Alerts start a conversation, so WhatsApp takes them only as an approved template, and
    # only when a WhatsApp sender is configured to send it from.
    if _whatsapp_cloud(config) is not None:
        return _setting(config, "WHATSAPP_CLOUD_ALERT_TEMPLATE")
    template = _setting(config, "SIGAP_WA_ALERT_CONTENT_SID")
    if template and _setting(config, "TWILIO_WHATSAPP_FROM"):
        return template
    return None
