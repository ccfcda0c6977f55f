"""A decrypted media file as a download: never shown inline, never cached, never sniffed."""

from __future__ import annotations

import mimetypes

from flask import Response

from cases.media import Opened
from channels.media import is_allowed_type

#: The headers every download carries, as the API documents them.
HEADERS = {
    "Content-Disposition": {
        "description": "attachment; filename=<reference>-<id>.<extension>",
        "schema": {"type": "string"},
    },
    "Cache-Control": {"description": "no-store", "schema": {"type": "string"}},
    "X-Content-Type-Options": {"description": "nosniff", "schema": {"type": "string"}},
}
_BINARY = {"type": "string", "format": "binary"}
#: A download is of one of the types media are kept of: images, audio, PDF.
DOC = {"content_type": "image/*", "schema": _BINARY, "headers": HEADERS}
ALT_DOCS = (
    {"content_type": "audio/*", "schema": _BINARY, "headers": HEADERS},
    {"content_type": "application/pdf", "schema": _BINARY, "headers": HEADERS},
)


def attachment(opened: Opened, reference: str) -> Response:
    """Answer with the file as an attachment named after the case and the file's id."""
    kind = opened.media.content_type.split(";")[0].strip().lower()
    if not is_allowed_type(kind):
        kind = "application/octet-stream"  # never served as anything a browser would run
    extension = mimetypes.guess_extension(kind) or ".bin"
    response = Response(opened.content, mimetype=kind)
    name = f"{reference}-{opened.media.id}{extension}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
