"""Provider adapters: the only code that knows a provider's field names, in and out."""

from __future__ import annotations

from collections.abc import Mapping

from channels.base import (
    ChannelError,
    ChannelKind,
    DeliveryStatus,
    InboundMessage,
    MediaRef,
    Outgoing,
    Provider,
    SendOutcome,
    SendResult,
    StatusUpdate,
)
from channels.console import ConsoleProvider
from channels.phone import mask_phone, normalize_phone
from channels.twilio import CHANNELS, TwilioChannel, channel_for
from channels.twilio_send import TwilioProvider
from core.config import ConfigError

__all__ = [
    "CHANNELS",
    "ChannelError",
    "ChannelKind",
    "ConsoleProvider",
    "DeliveryStatus",
    "InboundMessage",
    "MediaRef",
    "Outgoing",
    "Provider",
    "SendOutcome",
    "SendResult",
    "StatusUpdate",
    "TwilioChannel",
    "TwilioProvider",
    "channel_for",
    "make_provider",
    "mask_phone",
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
    """Return the provider SIGAP_PROVIDER names; unset, Twilio when its credentials are set.

    The console provider sends nothing: it is used only when chosen (`make run` chooses it
    when Twilio is not configured), so a deployment missing a credential fails at start
    instead of printing what should have gone to an officer.
    """
    choice = (_setting(config, "SIGAP_PROVIDER") or "").lower() or None
    if choice is not None and choice not in PROVIDERS:
        raise ConfigError(f"SIGAP_PROVIDER must be one of {', '.join(PROVIDERS)}, not {choice!r}")
    if choice == "console":
        return ConsoleProvider()
    account_sid = _setting(config, "TWILIO_ACCOUNT_SID")
    auth_token = _setting(config, "TWILIO_AUTH_TOKEN")
    if not (account_sid and auth_token):
        raise ConfigError(
            "no provider for outbound messages: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, "
            "or SIGAP_PROVIDER=console to print them (development)"
        )
    return TwilioProvider(
        account_sid,
        auth_token,
        sms_from=_setting(config, "TWILIO_SMS_FROM"),
        messaging_service_sid=_setting(config, "TWILIO_MESSAGING_SERVICE_SID"),
        whatsapp_from=_setting(config, "TWILIO_WHATSAPP_FROM"),
        api_base_url=_setting(config, "TWILIO_API_BASE_URL"),
    )
