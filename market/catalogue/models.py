"""Service types (中介服务事项)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from market.db import db


class ServiceType(db.Model):  # type: ignore[name-defined,misc]
    """A kind of intermediary service (中介服务事项), e.g. 环评 or 测绘."""

    __tablename__ = "service_type"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    name_en: Mapped[str] = mapped_column(sa.String(100), default="")
    regulator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"))
