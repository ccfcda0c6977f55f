"""The Kemendagri gazetteer: provinces, regencies, districts and villages."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, str_enum
from models.vocab import RegionLevel


class Region(Base):
    __tablename__ = "region"

    #: Kemendagri code with dots, e.g. 72.10.01.2007; its prefixes are its ancestors.
    code: Mapped[str] = mapped_column(String(13), primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(String(13), index=True)
    level: Mapped[RegionLevel] = mapped_column(str_enum(RegionLevel))
    name: Mapped[str] = mapped_column(String(120))

    def ancestors(self) -> list[str]:
        """Codes from this region up to its province, nearest first."""
        parts = self.code.split(".")
        return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]
