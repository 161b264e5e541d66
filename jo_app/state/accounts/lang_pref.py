"""The language switch of a logged-in user also stores the language of their e-mails (`User.lang`)."""

from __future__ import annotations

import logging

import reflex as rx

from jo_app.i18n import LANGS
from jo_app.services.accounts import user_lang
from jo_app.state.auth import AuthState

log = logging.getLogger(__name__)


class LangPrefState(AuthState):
    """No vars: one handler, fired by the FR / EN buttons after `LangState.set_lang`."""

    @rx.event
    async def remember(self, lang: str):
        """Store `lang` for the logged-in user (identity re-read on the server); anonymous visitors: nothing."""
        if not isinstance(lang, str) or lang not in LANGS or not self._session_token():
            return
        try:
            await self.run_as_user(user_lang.set_lang, lang)
        except Exception:  # the page still switches; the stored language is retried at the next switch
            log.exception("could not store the user's language")
