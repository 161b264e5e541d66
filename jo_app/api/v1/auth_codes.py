"""E-mailed codes over the API: POST /api/v1/auth/password-reset (+ /confirm), /verify-email (+ /resend).

Same services, hence the same limits, as the web forms (websocket handlers): per client address and per e-mail
address in the shared limiter (Redis when configured), per account a growing cool-down between mailed codes and a
daily budget of wrong guesses (`jo_app.services.accounts.email_codes`). Answers never tell whether an account exists.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Request
from pydantic import Field
from sqlmodel import Session

from jo_app.api.deps import Principal, client_ip, current_principal, get_db
from jo_app.api.errors import responses
from jo_app.api.v1.schemas import Input, Message
from jo_app.services.accounts import email_codes

router = APIRouter(prefix="/auth", tags=["auth"])


class CodeRequest(Input):
    email: str = Field(max_length=254)
    lang: Literal["fr", "en"] = Field("fr", deprecated=True, description="Ignored: the mail goes out in the "
                                      "account's stored language (PATCH /auth/me).")


class PasswordResetConfirm(Input):
    email: str = Field(max_length=254)
    code: str = Field(max_length=32, description="The code from the e-mail (\"XXXXX-XXXXX\"; case, spaces and "
                                                 "dashes do not matter).")
    new_password: str = Field(max_length=1024)


class VerifyEmailRequest(Input):
    email: str = Field(max_length=254)
    code: str = Field(max_length=32)


@router.post("/password-reset", response_model=Message, status_code=202, responses=responses(422, 429))
def password_reset(body: CodeRequest, request: Request, db: Session = Depends(get_db)) -> Message:
    """Mail a password reset code if an account has this address and its cool-down is over.

    Always 202 `accepted`, account or not. One mail per cool-down window (1 min after the first code, doubling up
    to 1 h, 8 codes a day at most), in the account's language, as a durable job; `rate_limited` (429,
    Retry-After) past the per-address or per-e-mail limits."""
    email_codes.request_password_reset(db, body.email, client_ip(request))
    return Message(status="accepted")


@router.post("/password-reset/confirm", response_model=Message, responses=responses(422, 429))
def password_reset_confirm(body: PasswordResetConfirm, request: Request, db: Session = Depends(get_db)) -> Message:
    """Set a new password with the mailed code; every session of the account is revoked.

    Errors: `invalid_code` or `validation_error` (password rules) (422); `rate_limited` (429, Retry-After)."""
    email_codes.reset_password(db, body.email, body.code, body.new_password, client_ip(request))
    return Message(status="password_reset")


@router.post("/verify-email", response_model=Message, responses=responses(422, 429))
def verify_email(body: VerifyEmailRequest, request: Request, db: Session = Depends(get_db)) -> Message:
    """Verify the address with the code mailed at sign-up. Errors: `invalid_code` (422); `rate_limited` (429)."""
    email_codes.verify_email(db, body.email, body.code, client_ip(request))
    return Message(status="verified")


@router.post("/verify-email/resend", response_model=Message, status_code=202, responses=responses(401, 429))
def resend_verification(request: Request, db: Session = Depends(get_db),
                        principal: Principal = Depends(current_principal)) -> Message:
    """Mail a new verification code to the caller's own address (unverified accounts), if its cool-down is over.

    Always 202 `accepted`; `rate_limited` (429, Retry-After) past the per-address or per-e-mail limits."""
    email_codes.resend_verification_code(db, principal.email, client_ip(request), user_id=principal.user_id)
    return Message(status="accepted")
