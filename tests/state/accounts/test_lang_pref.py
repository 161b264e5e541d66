"""The site's language switch stores a logged-in user's mail language (`LangPrefState.remember`, fired with
`LangState.set_lang`), and sign-up stores the page's language; anonymous or forged calls store nothing."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import Session, select

from jo_app.i18n import LangState
from jo_app.models import User
from jo_app.services.accounts import sessions, users
from jo_app.state.accounts.lang_pref import LangPrefState
from jo_app.state.accounts.register import RegisterState
from tests.state.conftest import make_state

PASSWORD = "Piste!Verte2024"


def _lang(engine, email: str) -> str:
    with Session(engine) as db:
        return str(db.exec(select(User.lang).where(User.email == email)).one())


def test_the_switch_stores_the_language_of_a_logged_in_user_only(db_engine) -> None:
    with Session(db_engine) as db:
        user = users.create_user(db, email="ada@example.org", password=PASSWORD, first_name="Ada",
                                 last_name="L", verified=True)
        db.commit()
        token = sessions.create_session(db, user.id)
    remember = LangPrefState.event_handlers["remember"].fn
    for cookie in ("", "jo_session=forged-token"):
        asyncio.run(remember(make_state(LangPrefState, cookie), "en"))
        assert _lang(db_engine, "ada@example.org") == "fr"
    mine = make_state(LangPrefState, f"jo_session={token}")
    asyncio.run(remember(mine, "de"))  # not a language of the site: ignored
    assert _lang(db_engine, "ada@example.org") == "fr"
    asyncio.run(remember(mine, "en"))
    assert _lang(db_engine, "ada@example.org") == "en"
    asyncio.run(remember(mine, "fr"))
    assert _lang(db_engine, "ada@example.org") == "fr"


@pytest.mark.parametrize("page_lang", ["fr", "en"])
def test_sign_up_stores_the_page_language(db_engine, page_lang: str) -> None:
    state = make_state(RegisterState, "", "/inscription")
    asyncio.run(state.get_state(LangState)).lang = page_lang

    async def drain():
        return [x async for x in RegisterState.event_handlers["register"].fn(state, {
            "email": "new.fan@example.org", "first_name": "New", "last_name": "Fan", "password": PASSWORD,
            "consent": "on"})]

    asyncio.run(drain())
    assert state.errors == {} and _lang(db_engine, "new.fan@example.org") == page_lang
