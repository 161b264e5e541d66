"""POST /api/v1/auth/token, /refresh, /revoke, /register and GET /me.

Login goes through `accounts.authenticate`: same lockout, TOTP and generic `invalid_credentials` error as the web
login. A successful login opens a server-side session whose random token is the refresh token.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from sqlmodel import Session

from jo_app.api import ratelimit
from jo_app.api.deps import Principal, client_ip, current_principal, get_db, optional_principal
from jo_app.api.errors import responses, unauthorized
from jo_app.api.tokens import issue_access_token
from jo_app.api.v1.schemas import (
    AccessTokenResponse,
    Me,
    Message,
    RefreshRequest,
    RegisterRequest,
    RegisterResponse,
    RevokeRequest,
    TokenRequest,
    TokenResponse,
)
from jo_app.services import accounts, sessions

log = logging.getLogger(__name__)
router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", response_model=TokenResponse, responses=responses(401, 422, 429))
def token(body: TokenRequest, request: Request, db: Session = Depends(get_db)) -> TokenResponse:
    """Exchange e-mail + password (+ TOTP code when 2FA is on) for an access token and a refresh token.

    Errors: `invalid_credentials`, `totp_required`, `invalid_totp`, `account_locked` (401); `locked_out` and
    `rate_limited` (429, with Retry-After)."""
    ip = client_ip(request)
    ratelimit.enforce("login", ip, body.email)
    result = accounts.authenticate(db, email=body.email, password=body.password, totp_code=body.totp_code,
                                   client_ip=ip)
    refresh = sessions.create_session(db, result.user_id, client_ip=ip,
                                      user_agent=request.headers.get("user-agent", "api")[:255])
    info = sessions.resolve_session(db, refresh)
    assert info is not None
    access, ttl = issue_access_token(info.user_id, info.session_id, info.role)
    return TokenResponse(access_token=access, expires_in=ttl, refresh_token=refresh, role=info.role)


@router.post("/refresh", response_model=AccessTokenResponse, responses=responses(401, 422, 429))
def refresh(body: RefreshRequest, request: Request, db: Session = Depends(get_db)) -> AccessTokenResponse:
    """A new access token and a NEW refresh token (rotation: the one sent is spent; sending a spent refresh
    token again revokes the whole session, since someone else holds a copy)."""
    ratelimit.enforce("login", client_ip(request), "refresh:" + body.refresh_token)
    rotated = sessions.rotate_token(db, body.refresh_token)
    if rotated is None:
        raise unauthorized("Invalid, expired or revoked refresh token.", "invalid_refresh_token")
    refresh_token, info = rotated
    access, ttl = issue_access_token(info.user_id, info.session_id, info.role)
    return AccessTokenResponse(access_token=access, expires_in=ttl, refresh_token=refresh_token)


@router.post("/revoke", response_model=Message, responses=responses(401, 422))
def revoke(body: RevokeRequest, db: Session = Depends(get_db),
           principal: Principal | None = Depends(optional_principal)) -> Message:
    """Revoke a refresh token (and so every access token of its session), or the caller's own session.

    Like RFC 7009, an unknown refresh token is not an error."""
    if body.refresh_token:
        sessions.revoke_session(db, body.refresh_token)
    elif principal is not None:
        sessions.revoke_session_by_id(db, principal.user_id, principal.session_id)
    else:
        raise unauthorized("Give a refresh token or authenticate.")
    return Message(status="revoked")


def _send_registration_mail(result: accounts.RegistrationResult) -> None:
    try:
        accounts.send_registration_mail(result)
    except Exception:  # a new account can ask for another code; a notice to an existing owner is best effort
        log.exception("registration mail failed")


@router.post("/register", response_model=RegisterResponse, status_code=201, responses=responses(422, 429))
def register(body: RegisterRequest, request: Request, background: BackgroundTasks,
             db: Session = Depends(get_db)) -> RegisterResponse:
    """Sign up a visitor (privacy consent required); the address then receives a verification code.

    The answer never tells whether the address already has an account (no account enumeration, OWASP): a sign-up
    with a taken address gets the very same 201 and body, its account is left untouched, and its owner is e-mailed
    a notice ("someone tried to sign up with your address: log in or reset your password") instead of a code.
    Hence no user id in the body and no 409. Errors: `validation_error` (422); `rate_limited` (429)."""
    ip = client_ip(request)
    ratelimit.enforce("register", ip, body.email)
    result = accounts.register(db, email=body.email, password=body.password, first_name=body.first_name,
                               last_name=body.last_name, consent=body.consent, client_ip=ip)
    background.add_task(_send_registration_mail, result)
    return RegisterResponse(email=result.email, verification_sent=True)


@router.get("/me", response_model=Me, responses=responses(401))
def me(principal: Principal = Depends(current_principal)) -> Me:
    """Who the credentials belong to (role as stored in the database now)."""
    return Me(user_id=principal.user_id, email=principal.email, first_name=principal.first_name,
              role=principal.role, is_verified=principal.is_verified, auth=principal.via)  # type: ignore[arg-type]
