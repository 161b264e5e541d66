"""Queue the account and transfer mails as durable jobs (`services.jobs`), in the caller's transaction.

A payload holds ids, never a secret in clear: the one-time code of a verification / reset mail and the token of a
transfer acceptance link are sealed (`services.secretbox`, AES-256-GCM under SECRET_KEY, bound to the job's
subject) under `sealed_*` keys, which `jobs.complete` drops once the mail went out. The language is not in the
payload: the worker reads each recipient's stored language (`User.lang`) when it sends (docs/i18n.md).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from jo_app.models import EmailCodePurpose
from jo_app.services import jobs, secretbox

_PURPOSE = "outbox-secret"


def _seal(secret: str, context: str) -> str:
    return secretbox.seal(secret, purpose=_PURPOSE, context=context)


def unseal(payload: dict[str, Any], key: str, context: str) -> str:
    """The secret `key` of a payload (SealedValueError when it does not open: other SECRET_KEY, copied row)."""
    return secretbox.open_sealed(str(payload[jobs.SEALED_PREFIX + key]), purpose=_PURPOSE, context=context)


def code_context(user_id: int, purpose: str) -> str:
    return f"code:{user_id}:{purpose}"


def transfer_context(transfer_id: int) -> str:
    return f"transfer:{transfer_id}"


def queue_code(session: Session, user_id: int, purpose: EmailCodePurpose | str, code: str) -> int:
    """The mail carrying `code` (verification or password reset) to the user."""
    purpose = EmailCodePurpose(purpose).value
    return jobs.enqueue(session, jobs.ACCOUNT_CODE, {
        "user_id": user_id, "purpose": purpose, "sealed_code": _seal(code, code_context(user_id, purpose))})


def queue_existing_account(session: Session, user_id: int) -> int:
    """The notice to an account's owner that someone tried to sign up with its address."""
    return jobs.enqueue(session, jobs.EXISTING_ACCOUNT, {"user_id": user_id})


def queue_transfer_offer(session: Session, transfer_id: int, token: str, fallback_lang: str) -> int:
    """The offer with its acceptance link; `fallback_lang` serves a recipient without an account."""
    return jobs.enqueue(session, jobs.TRANSFER_OFFER, {
        "transfer_id": transfer_id, "fallback_lang": fallback_lang,
        "sealed_token": _seal(token, transfer_context(transfer_id))})


def queue_transfer_done(session: Session, transfer_id: int) -> int:
    """The notices to both parties of an accepted transfer."""
    return jobs.enqueue(session, jobs.TRANSFER_DONE, {"transfer_id": transfer_id})
