"""Page registration for the accounts area (login, sign-up, verification, password reset, account, legal)."""

import reflex as rx

from jo_app.i18n import page_title
from jo_app.pages.accounts.account import account_page
from jo_app.pages.accounts.login import login_page
from jo_app.pages.accounts.register import forgot_page, register_page, verify_page
from jo_app.pages.legal import legal_notice_page, privacy_page, terms_page
from jo_app.state.accounts.account import AccountState
from jo_app.state.accounts.login import LoginState
from jo_app.state.accounts.register import ForgotPasswordState, RegisterState
from jo_app.state.accounts.twofactor import TwoFactorState


def register(app: rx.App) -> None:
    """Add this area's pages to the app."""
    app.add_page(login_page, route="/connexion", title=page_title("login.title"), on_load=LoginState.on_load)
    app.add_page(register_page, route="/inscription", title=page_title("register.title"),
                 on_load=RegisterState.on_load_register)
    app.add_page(verify_page, route="/verification", title=page_title("verify.title"),
                 on_load=RegisterState.on_load_verify)
    app.add_page(forgot_page, route="/mot-de-passe-oublie", title=page_title("forgot.title"),
                 on_load=ForgotPasswordState.on_load)
    app.add_page(account_page, route="/compte", title=page_title("account.title"),
                 on_load=[AccountState.on_load, TwoFactorState.on_load_2fa])
    app.add_page(privacy_page, route="/confidentialite", title=page_title("privacy.title"))
    app.add_page(legal_notice_page, route="/mentions-legales", title=page_title("legalnotice.title"))
    app.add_page(terms_page, route="/cgv", title=page_title("terms.title"))
