"""POST /api/v1/auth/token, /refresh, /revoke, /register, GET /me and PATCH /me (the account's mail language).

Login goes through `accounts.authenticate`: same lockout, TOTP and generic `invalid_credentials` error as the web
login. A successful login opens a server-side session whose random token is the refresh token.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from sqlmodel import Session

from jo_app.api import devices, ratelimit
from jo_app.api.deps import Principal, client_ip, current_principal, get_db, optional_principal, preferred_lang
from jo_app.api.errors import responses, unauthorized
from jo_app.api.tokens import issue_access_token
from jo_app.api.v1.schemas import (
    AccessTokenResponse,
    Me,
    Message,
    ProfileUpdate,
    RefreshRequest,
    RegisterRequest,
    RegisterResponse,
    RevokeRequest,
    TokenRequest,
    TokenResponse,
)
from jo_app.services.accounts import device_cookies, login, sessions, user_lang, users

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", response_model=TokenResponse, responses=responses(401, 422, 429))
def token(body: TokenRequest, request: Request, response: Response, db: Session = Depends(get_db)) -> TokenResponse:
    """Exchange e-mail + password (+ TOTP code when 2FA is on) for an access token and a refresh token.

    Errors: `invalid_credentials`, `totp_required`, `invalid_totp`, `account_locked` (401); `locked_out` and
    `rate_limited` (429, with Retry-After). A successful login sets the `jo_device` cookie: sent back with later
    logins, it keeps this client's own failure budget (failures made elsewhere on the account never delay it)."""
    ip = client_ip(request)
    device = devices.device_token(request)
    ratelimit.enforce("login", ip, device_cookies.rate_limit_identity(device, body.email))
    result = login.authenticate(db, email=body.email, password=body.password, totp_code=body.totp_code,
                                client_ip=ip, device_token=device)
    devices.remember(request, response, result.user_id)
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


@router.post("/register", response_model=RegisterResponse, status_code=201, responses=responses(422, 429))
def register(body: RegisterRequest, request: Request, db: Session = Depends(get_db)) -> RegisterResponse:
    """Sign up a visitor (privacy consent required); the address then receives a verification code.

    The answer never tells whether the address already has an account (no account enumeration, OWASP): a sign-up
    with a taken address gets the very same 201 and body, its account is left untouched, and its owner is e-mailed
    a notice ("someone tried to sign up with your address: log in or reset your password") instead of a code.
    Hence no user id in the body and no 409. The account's e-mails go out in `lang` (default: the first of fr/en
    in Accept-Language, else French); the mail is a durable job queued with the account. Errors:
    `validation_error` (422); `rate_limited` (429)."""
    ip = client_ip(request)
    ratelimit.enforce("register", ip, body.email)
    result = users.register(db, email=body.email, password=body.password, first_name=body.first_name,
                            last_name=body.last_name, consent=body.consent, client_ip=ip,
                            lang=body.lang or preferred_lang(request))
    return RegisterResponse(email=result.email, verification_sent=True)


@router.get("/me", response_model=Me, responses=responses(401))
def me(principal: Principal = Depends(current_principal), db: Session = Depends(get_db)) -> Me:
    """Who the credentials belong to (role as stored in the database now) and the language of their e-mails."""
    return _me(principal, db)


@router.patch("/me", response_model=Me, responses=responses(401, 422))
def update_me(body: ProfileUpdate, principal: Principal = Depends(current_principal),
              db: Session = Depends(get_db)) -> Me:
    """Change the language of every e-mail sent to the caller (order confirmations, transfers, codes...)."""
    user_lang.set_lang(db, principal.user_id, body.lang)
    return _me(principal, db)


def _me(principal: Principal, db: Session) -> Me:
    lang = user_lang.lang_of(users.get_user(db, principal.user_id))
    return Me(user_id=principal.user_id, email=principal.email, first_name=principal.first_name,
              role=principal.role, is_verified=principal.is_verified, auth=principal.via,  # type: ignore[arg-type]
              lang=lang)  # type: ignore[arg-type]
