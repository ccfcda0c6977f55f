"""Console sign-in attempts, kept to limit guessing per account and per address."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class LoginAttempt(Base):
    __tablename__ = "login_attempt"
    __table_args__ = (
        #: The limits count recent failures of one account or one address.
        Index("ix_login_attempt_account_at", "account_key", "at"),
        Index("ix_login_attempt_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Keyed hash of what was typed as the account: no identifier is stored in the clear.
    account_key: Mapped[str] = mapped_column(String(64))
    #: Keyed hash of the client's address.
    address: Mapped[str] = mapped_column(String(64))
    is_success: Mapped[bool] = mapped_column(default=False)


class LoginCode(Base):
    """A one-time console sign-in code sent by SMS to an account's registered phone."""

    __tablename__ = "login_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    #: Keyed hash of the code with the account id: the code itself is never stored.
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
