"""Fetching media: provider hosts only, redirects only among them, no private addresses,
size-capped and type-allowed."""

from __future__ import annotations

import pytest

from channels import ChannelError
from channels.media import MediaFetcher, MediaSource, check_public, is_allowed_type
from channels.twilio import MEDIA_HOSTS
from tests.media_standin import CDN_PATH, PHOTO, TWILIO_MEDIA, media_standin


def test_twilio_media_follow_the_redirect_to_its_cdn_with_credentials() -> None:
    with media_standin() as standin:
        source = MediaSource(MEDIA_HOSTS, auth=("AC0", "token"), base_url=standin.base_url)
        fetched = MediaFetcher(source).fetch(f"https://api.twilio.com{TWILIO_MEDIA}")
    assert (fetched.content, fetched.content_type) == (PHOTO, "image/jpeg")
    assert [path for path, _ in standin.requests] == [TWILIO_MEDIA, CDN_PATH]
    assert all(auth.startswith("Basic ") for _, auth in standin.requests)


def test_a_redirect_off_the_provider_hosts_is_refused() -> None:
    hosts = frozenset({"api.twilio.com"})
    with media_standin() as standin:
        fetcher = MediaFetcher(MediaSource(hosts, base_url=standin.base_url))
        with pytest.raises(ChannelError) as raised:
            fetcher.fetch("https://api.twilio.com/elsewhere")
    assert raised.value.code == "untrusted_host"
    assert [path for path, _ in standin.requests] == ["/elsewhere"]


def test_another_host_is_never_requested() -> None:
    with media_standin() as standin:
        fetcher = MediaFetcher(MediaSource(MEDIA_HOSTS, base_url=standin.base_url))
        with pytest.raises(ChannelError) as raised:
            fetcher.fetch("https://files.example.net/x.jpg")
    assert raised.value.code == "untrusted_host"
    assert standin.requests == []


def test_the_size_cap() -> None:
    with media_standin() as standin:
        source = MediaSource(MEDIA_HOSTS, base_url=standin.base_url)
        with pytest.raises(ChannelError) as raised:
            MediaFetcher(source, max_bytes=100).fetch(f"https://api.twilio.com{TWILIO_MEDIA}")
    assert raised.value.code == "too_large"


@pytest.mark.parametrize(
    ("addresses", "code"),
    [(["10.0.0.8"], "private_address"), (["127.0.0.1"], "private_address"),
     (["93.184.215.14", "169.254.169.254"], "private_address"), (["fd00::1"], "private_address")],
)  # fmt: skip
def test_private_addresses_are_refused(addresses: list[str], code: str) -> None:
    with pytest.raises(ChannelError) as raised:
        check_public("media.twiliocdn.com", lambda host: addresses)
    assert raised.value.code == code


def test_public_addresses_pass() -> None:
    check_public("media.twiliocdn.com", lambda host: ["93.184.215.14", "2606:2800:21f:cb07::1"])


@pytest.mark.parametrize(
    ("content_type", "allowed"),
    [("image/jpeg", True), ("audio/ogg; codecs=opus", True), ("application/pdf", True),
     ("text/html", False), ("application/x-msdownload", False), ("", False)],
)  # fmt: skip
def test_allowed_types(content_type: str, allowed: bool) -> None:
    assert is_allowed_type(content_type) is allowed
