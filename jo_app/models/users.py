"""Accounts: users, their sessions, login attempts, one-time codes and consents."""

from __future__ import annotations

from pydantic import NaiveDatetime
from sqlalchemy import CheckConstraint, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from jo_app.models.enums import EmailCodePurpose, Lang, Role, check_in, enum_type
from jo_app.timeutil import utcnow


class User(SQLModel, table=True):
    """A person with an account (spec 3.1.1 `User`)."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(check_in("role", Role), name="ck_users_role"),
        CheckConstraint(check_in("lang", Lang), name="ck_users_lang"),
        CheckConstraint("email = lower(email)", name="ck_users_email_lowercase"),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=50, sa_column_kwargs={"unique": True}, nullable=False)
    email: str = Field(max_length=254, sa_column_kwargs={"unique": True}, nullable=False)
    last_name: str = Field(max_length=50)
    first_name: str = Field(max_length=50)
    password_hash: str = Field(max_length=120)
    security_key: str = Field(max_length=64, sa_column_kwargs={"unique": True}, nullable=False)
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    last_login_at: NaiveDatetime | None = None
    role: Role = Field(default=Role.VISITOR, sa_column=Column(enum_type(Role), nullable=False))
    is_verified: bool = False
    # Language of the site and of every mail sent to this user: set at sign-up, changed by the language switch.
    lang: Lang = Field(default=Lang.FR, sa_column=Column(enum_type(Lang, length=2), nullable=False,
                                                          server_default=Lang.FR.value))
    # The TOTP secret, sealed (AES-256-GCM under SECRET_KEY, bound to the user id): services.accounts.twofactor.
    totp_secret_encrypted: str | None = Field(default=None, max_length=128)
    totp_enabled: bool = False
    totp_last_step: int | None = None  # last accepted TOTP time step: a code is never accepted twice
    is_locked: bool = False  # locked by an administrator
    anonymized_at: NaiveDatetime | None = None


class UserSession(SQLModel, table=True):
    """A server-side login session; the browser holds only the random token, stored here hashed."""

    __tablename__ = "user_sessions"
    __table_args__ = (
        Index("ix_user_sessions_user_id", "user_id"),
        Index("ix_user_sessions_previous_token_hash", "previous_token_hash"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", nullable=False)
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True}, nullable=False)
    # The token this one replaced (API refresh-token rotation): presenting it again reveals a copied token.
    previous_token_hash: str | None = Field(default=None, max_length=64)
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    last_seen_at: NaiveDatetime = Field(default_factory=utcnow)
    expires_at: NaiveDatetime
    revoked_at: NaiveDatetime | None = None
    client_ip: str | None = Field(default=None, max_length=45)
    user_agent: str | None = Field(default=None, max_length=255)


class LoginAttempt(SQLModel, table=True):
    """One login attempt: the throttling scopes (account, address, known device) and anomaly reports."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_created", "email", "created_at"),
        Index("ix_login_attempts_ip_created", "client_ip", "created_at"),
        Index("ix_login_attempts_device_created", "device_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    client_ip: str | None = Field(default=None, max_length=45)
    device_id: str | None = Field(default=None, max_length=32)  # a known device of the account (device cookie)
    succeeded: bool = False
    created_at: NaiveDatetime = Field(default_factory=utcnow)


class RecoveryCode(SQLModel, table=True):
    """A one-time 2FA recovery code (hashed)."""

    __tablename__ = "recovery_codes"
    __table_args__ = (Index("ix_recovery_codes_user_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", nullable=False)
    code_hash: str = Field(max_length=64)
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    used_at: NaiveDatetime | None = None


class EmailCode(SQLModel, table=True):
    """A short-lived code sent by e-mail (spec `code_verification`), for verification or password reset."""

    __tablename__ = "email_codes"
    __table_args__ = (
        Index("ix_email_codes_user_purpose", "user_id", "purpose"),
        CheckConstraint(check_in("purpose", EmailCodePurpose), name="ck_email_codes_purpose"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", nullable=False)
    purpose: EmailCodePurpose = Field(sa_column=Column(enum_type(EmailCodePurpose, 24), nullable=False))
    code_hash: str = Field(max_length=64)
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    expires_at: NaiveDatetime
    used_at: NaiveDatetime | None = None
    failed_attempts: int = 0


class Consent(SQLModel, table=True):
    """A recorded consent (e.g. to the privacy policy at registration)."""

    __tablename__ = "consents"
    __table_args__ = (UniqueConstraint("user_id", "kind", "version", name="uq_consents_user_kind_version"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", nullable=False)
    kind: str = Field(max_length=32)
    version: str = Field(max_length=16)
    accepted_at: NaiveDatetime = Field(default_factory=utcnow)
    client_ip: str | None = Field(default=None, max_length=45)


class LoginHandoff(SQLModel, table=True):
    """A one-time, 60-second code that carries a fresh session token from the login handler (websocket) to the
    HTTP route that sets the HttpOnly cookie. The token is stored encrypted; the code only as a hash."""

    __tablename__ = "login_handoffs"

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True}, nullable=False)
    session_token_encrypted: str = Field(max_length=255)
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    expires_at: NaiveDatetime
    used_at: NaiveDatetime | None = None
