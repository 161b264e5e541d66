"""Append-only audit log of security events, admin actions and gate scans."""

from __future__ import annotations

from pydantic import NaiveDatetime
from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from jo_app.timeutil import utcnow


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_created_at", "created_at"),
        Index("ix_audit_log_action", "action"),
        Index("ix_audit_log_actor_id", "actor_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    action: str = Field(max_length=64)
    target_type: str | None = Field(default=None, max_length=32)
    target_id: str | None = Field(default=None, max_length=64)
    client_ip: str | None = Field(default=None, max_length=45)
    details: str = Field(default="{}", sa_column=Column(Text, nullable=False))
