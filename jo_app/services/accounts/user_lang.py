"""Each user's stored language (`User.lang`): the language of every mail sent to them, whoever triggers it.

Set at sign-up from the page's language, changed by the site's language switch (logged in) and by the REST API
(`PATCH /api/v1/auth/me`). Mails to an address without an account use the caller's fallback (the sender's
language for a transfer offer).
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlmodel import Session

from jo_app.i18n import normalize_lang
from jo_app.models import Lang, User
from jo_app.services.accounts.common import lenient_email
from jo_app.services.errors import ValidationError


def parse_lang(lang: str | None) -> Lang:
    """`lang` as a stored language; ValidationError (field "lang") unless "fr" or "en"."""
    try:
        return Lang(lang)
    except ValueError:
        raise ValidationError("Unsupported language.", field="lang") from None


def set_lang(session: Session, user_id: int, lang: str) -> bool:
    """Store `lang` for the user (commits). True when it changed; unknown user: False."""
    value = parse_lang(lang)
    changed = session.execute(update(User).where(User.id == user_id, User.lang != value).values(lang=value)
                              .execution_options(synchronize_session=False)).rowcount == 1
    session.commit()
    return changed


def lang_of(user: User | None, fallback: str | None = None) -> str:
    """The user's language ("fr" / "en"); `fallback` (then French) when there is no user."""
    return normalize_lang(str(user.lang) if user is not None else fallback)


def lang_for_email(session: Session, email: str, fallback: str | None) -> str:
    """The language of the active account that owns `email`, else `fallback` (then French)."""
    stored = session.execute(select(User.lang).where(User.email == lenient_email(email),
                                                     User.anonymized_at.is_(None))).scalar_one_or_none()
    return normalize_lang(str(stored) if stored else fallback)
