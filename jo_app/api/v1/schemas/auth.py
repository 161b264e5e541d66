"""API models of authentication and accounts."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from jo_app.api.v1.schemas.common import Input
from jo_app.services.accounts.common import _EMAIL

# The services' own syntax check (services.accounts.common), surrounding spaces allowed (they are stripped).
EMAIL_PATTERN = r"^\s*" + _EMAIL.pattern.removeprefix("^").removesuffix("$") + r"\s*$"
NAME_PATTERN = r"\S"  # not blank

class TokenRequest(Input):
    email: str = Field(max_length=254, examples=["camille@example.org"])
    password: str = Field(max_length=1024)
    totp_code: str | None = Field(default=None, max_length=64, description="Required when 2FA is on.")


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds of validity of the access token.")
    refresh_token: str = Field(description="Opaque; exchange it at /auth/refresh. Revoke it at /auth/revoke.")
    role: str


class RefreshRequest(Input):
    refresh_token: str = Field(min_length=1, max_length=256)


class AccessTokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    refresh_token: str = Field(description="The next refresh token: the one sent is spent (rotation).")


class RevokeRequest(Input):
    refresh_token: str | None = Field(default=None, max_length=256,
                                      description="Omit to revoke the session of the bearer token used.")


class RegisterRequest(Input):
    email: str = Field(max_length=254, pattern=EMAIL_PATTERN, examples=["camille@example.org"])
    password: str = Field(min_length=8, max_length=128, description="8 to 128 characters with lower and upper case "
                          "letters, a digit and a symbol; not a common password; not containing the e-mail.")
    first_name: str = Field(min_length=1, max_length=50, pattern=NAME_PATTERN)
    last_name: str = Field(min_length=1, max_length=50, pattern=NAME_PATTERN)
    consent: bool = Field(description="Acceptance of the privacy policy (required).")
    lang: Literal["fr", "en"] | None = Field(default=None, description="Language of the account's e-mails (the "
                                             "verification code first); default: the request's Accept-Language.")


class RegisterResponse(BaseModel):
    """Identical for a new address and for one that already has an account (no account enumeration)."""

    email: str
    verification_sent: bool = Field(description="Always true: a mail went to the address (a verification code, "
                                                "or a notice to the owner when the address already has an account).")


class Me(BaseModel):
    user_id: int
    email: str
    first_name: str
    role: str
    is_verified: bool
    auth: Literal["bearer", "cookie"]
    lang: Literal["fr", "en"] = Field(description="Language of every e-mail sent to this account.")


class ProfileUpdate(Input):
    lang: Literal["fr", "en"] = Field(description="Language of every e-mail sent to this account.")


class Message(BaseModel):
    status: str
