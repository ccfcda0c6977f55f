"""Fetch a person's photo, voice note or document from the provider that announced it.

Only from the provider's own hosts, over https, with the provider's credentials; redirects
only to those hosts; never to a private address; size-capped and of an allowed type. A
payload is not trusted to name where the server connects.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from channels import twilio, whatsapp_cloud
from channels.base import ChannelError, is_trusted_url

#: The largest file kept (WhatsApp's own limit for audio and images is 16 MB).
MAX_BYTES = 16 * 1024 * 1024
#: Types kept: photos, voice notes and recordings, PDF documents.
ALLOWED_PREFIXES = ("image/", "audio/")
ALLOWED_TYPES = frozenset({"application/pdf"})
MAX_REDIRECTS = 3
#: Why an announced attachment never reached SIGAP (a failed delivery, not a refusal).
NOT_DELIVERED = frozenset({"not_downloaded", "no_content", "unreadable"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024

Resolver = Callable[[str], list[str]]


@dataclass(frozen=True)
class MediaSource:
    """How one provider's media are fetched."""

    hosts: frozenset[str]
    headers: Mapping[str, str] = field(default_factory=dict)
    auth: tuple[str, str] | None = None
    #: Requests go to this scheme and host instead (tests, stand-ins); set by the operator.
    base_url: str | None = None
    #: The announced URL answers JSON naming the file's own URL (the Cloud API's media id).
    is_indirect: bool = False


@dataclass(frozen=True)
class Fetched:
    content: bytes
    content_type: str


def media_hosts(provider: str) -> frozenset[str]:
    """Return the hosts `provider` serves inbound media from (none: nothing is fetched)."""
    return _HOSTS.get(provider, frozenset())


_HOSTS = {twilio.PROVIDER: twilio.MEDIA_HOSTS, whatsapp_cloud.PROVIDER: whatsapp_cloud.MEDIA_HOSTS}


def _setting(config: Mapping[str, Any], key: str) -> str | None:
    value = config.get(key)
    return str(value).strip() or None if value is not None else None


def source_for(provider: str, config: Mapping[str, Any]) -> MediaSource | None:
    """Return how `provider`'s media are fetched, None when it has no credentials here."""
    if provider == twilio.PROVIDER:
        sid, token = _setting(config, "TWILIO_ACCOUNT_SID"), _setting(config, "TWILIO_AUTH_TOKEN")
        if not (sid and token):
            return None
        return MediaSource(
            twilio.MEDIA_HOSTS, auth=(sid, token), base_url=_setting(config, "TWILIO_API_BASE_URL")
        )
    if provider == whatsapp_cloud.PROVIDER:
        token = _setting(config, "WHATSAPP_CLOUD_ACCESS_TOKEN")
        if not token:
            return None
        return MediaSource(
            whatsapp_cloud.MEDIA_HOSTS,
            headers={"Authorization": f"Bearer {token}"},
            base_url=_setting(config, "WHATSAPP_CLOUD_API_BASE_URL"),
            is_indirect=True,
        )
    return None


def is_allowed_type(content_type: str) -> bool:
    """Return whether a file of this type is kept."""
    kind = content_type.split(";")[0].strip().lower()
    return kind in ALLOWED_TYPES or kind.startswith(ALLOWED_PREFIXES)


def refusal(content_type: str, size: int) -> str | None:
    """Return why a file of this type and size is not kept (as a fetch refuses it), or None."""
    if not is_allowed_type(content_type):
        return "type_not_allowed"
    if size > MAX_BYTES:
        return "too_large"
    return None


def _resolve(host: str) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)]


def check_public(host: str, resolve: Resolver = _resolve) -> None:
    """Raise ChannelError("private_address") unless every address of `host` is public."""
    try:
        addresses = resolve(host)
    except OSError as exc:
        raise ChannelError("fetch_failed", "host does not resolve") from exc
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global:
            raise ChannelError("private_address", "host resolves to a private address")


class MediaFetcher:
    """Fetch media for one provider with its credentials."""

    def __init__(
        self,
        source: MediaSource,
        session: requests.Session | None = None,
        resolve: Resolver = _resolve,
        max_bytes: int = MAX_BYTES,
        timeout: float = 20,
    ) -> None:
        self.source = source
        self.session = session or requests.Session()
        self.resolve = resolve
        self.max_bytes = max_bytes
        self.timeout = timeout

    def fetch(self, url: str) -> Fetched:
        """Return the file at `url`, or raise ChannelError with why not."""
        if self.source.is_indirect:
            answer = self._get(url)
            try:
                url = str(answer.json()["url"])
            except (ValueError, KeyError, TypeError) as exc:
                raise ChannelError("fetch_failed", "no file URL in the answer") from exc
            finally:
                answer.close()
        answer = self._get(url)
        try:
            return self._read(answer)
        finally:
            answer.close()

    def _get(self, url: str) -> requests.Response:
        """GET a trusted URL, following redirects only to trusted hosts."""
        for _ in range(MAX_REDIRECTS + 1):
            if not is_trusted_url(url, self.source.hosts):
                raise ChannelError("untrusted_host", "not one of the provider's media hosts")
            target = self._target(url)
            try:
                answer = self.session.get(
                    target,
                    headers=dict(self.source.headers),
                    auth=self.source.auth,
                    timeout=self.timeout,
                    allow_redirects=False,
                    stream=True,
                )
            except requests.RequestException as exc:
                raise ChannelError("fetch_failed", type(exc).__name__) from exc
            if answer.status_code not in _REDIRECTS:
                if answer.status_code != 200:
                    answer.close()
                    raise ChannelError("fetch_failed", f"http {answer.status_code}")
                return answer
            url = answer.headers.get("Location", "")
            answer.close()
        raise ChannelError("redirect_elsewhere", "too many redirects")

    def _target(self, url: str) -> str:
        """Return where to send the request: the stand-in, or the checked public host."""
        parts = urlsplit(url)
        if self.source.base_url:
            base = urlsplit(self.source.base_url)
            return urlunsplit((base.scheme, base.netloc, *parts[2:]))
        check_public(parts.hostname or "", self.resolve)
        return url

    def _read(self, answer: requests.Response) -> Fetched:
        content_type = answer.headers.get("Content-Type", "")
        if not is_allowed_type(content_type):
            raise ChannelError("type_not_allowed", "not an image, audio or PDF")
        declared = answer.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise ChannelError("too_large", "larger than the cap")
        chunks, size = [], 0
        for chunk in answer.iter_content(_CHUNK):
            size += len(chunk)
            if size > self.max_bytes:
                raise ChannelError("too_large", "larger than the cap")
            chunks.append(chunk)
        return Fetched(b"".join(chunks), content_type.split(";")[0].strip().lower())
