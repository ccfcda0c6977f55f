"""API tokens: the bearer secrets of facilitators' phones and staff tools, kept as hashes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.agency import Account
from models.base import Base, utcnow


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    #: SHA-256 of the token: the token itself is shown once and never stored. A plain hash
    #: is enough because tokens are 256 random bits, out of reach of any dictionary.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: None: valid until revoked.
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    account: Mapped[Account] = relationship()


class ApiUsage(Base):
    """Requests made with one token in one window (a minute or a day), for the API's limits."""

    __tablename__ = "api_usage"

    token_id: Mapped[int] = mapped_column(ForeignKey("api_token.id"), primary_key=True)
    #: `minute` or `day`.
    span: Mapped[str] = mapped_column(String(8), primary_key=True)
    #: The window's first moment (UTC).
    starts_at: Mapped[datetime] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
