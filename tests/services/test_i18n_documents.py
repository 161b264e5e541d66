"""Babel formats and every mail in both languages: subject, text and HTML in the recipient's language only, with
user values escaped in the HTML part (mails read back from the outbox, as a mail client would)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from jo_app.config import get_settings
from jo_app.i18n.formats import format_long, format_number, format_price, format_short, format_stamp
from jo_app.services import mail, mail_ownership

WHEN = datetime(2024, 8, 4, 19, 50)  # 21:50 in Paris (CEST)


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    """Mails go to a fresh outbox folder (no SMTP); the settings cache is reset before and after."""
    monkeypatch.setenv("OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.delenv("SMTP_HOST", raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


def test_money_numbers_and_dates_by_babel() -> None:
    assert format_price(123456, "fr") == "1\u202f234,56\u00a0€" and format_price(123456, "en") == "€1,234.56"
    assert format_price(-500, "fr") == "-5,00\u00a0€" and format_price(0, "en") == "€0.00"
    assert format_number(19211, "fr") == "19\u202f211" and format_number(19211, "en") == "19,211"
    assert format_short(WHEN, "fr") == "dim. 4 août 2024 · 21:50"
    assert format_short(WHEN, "en") == "Sun 4 Aug 2024 · 21:50"
    assert format_long(WHEN, "fr") == "dimanche 4 août 2024, 21:50"
    assert format_long(WHEN, "en") == "Sunday, 4 August 2024, 21:50"
    assert format_long(datetime(2024, 12, 24, 19, 0), "fr").endswith("20:00")  # winter: UTC+1
    assert format_short(None, "fr") == "" and format_stamp(WHEN) == "04/08/2024 21:50:00"
    assert format_price(100, "de") == format_price(100, "fr")  # unknown language: French


def _parts(message) -> tuple[str, str, str]:
    return (str(message["Subject"]), message.get_body(("plain",)).get_content(),
            message.get_body(("html",)).get_content())


MAILS = {
    "verification": (lambda lang: mail.send_verification_code("a@example.org", "Zoé", "482913", lang),
                     {"fr": ("Votre code de vérification", "Bonjour Zoé,", "Il expire dans 30 minutes"),
                      "en": ("Your verification code", "Hello Zoé,", "It expires in 30 minutes")}),
    "reset": (lambda lang: mail.send_password_reset("a@example.org", "", "771204", lang),
              {"fr": ("Réinitialisation de votre mot de passe", "Bonjour,", "réinitialiser"),
               "en": ("Reset your password", "Hello,", "reset your password")}),
    "existing": (lambda lang: mail.send_existing_account_notice("a@example.org", "Léa", lang),
                 {"fr": ("Tentative d'inscription", "Bonjour Léa,", "/mot-de-passe-oublie"),
                  "en": ("Sign-up attempt", "Hello Léa,", "/mot-de-passe-oublie")}),
    "confirmation": (lambda lang: mail.send_order_confirmation(
        "a@example.org", "Léa <b>", "JO-7K2M9Q", [{"event": "Judo <i>", "offer": "Duo", "quantity": 2,
                                                  "unit_price_cents": 45600, "starts_at": WHEN}], 91200,
        [("billet-1.pdf", b"%PDF-1.4 x")], lang),
        {"fr": ("Commande JO-7K2M9Q confirmée", "Votre billet électronique est joint", "912,00\u00a0€"),
         "en": ("Order JO-7K2M9Q confirmed", "Your e-ticket is attached", "€912.00")}),
    "cancelled": (lambda lang: mail.send_order_cancelled("a@example.org", "Sam", "JO-AAAA", lang),
                  {"fr": ("Commande JO-AAAA annulée", "ne sont plus valables", "contactez-nous"),
                   "en": ("Order JO-AAAA cancelled", "no longer valid", "contact us")}),
    "transfer": (lambda lang: mail_ownership.send_transfer_offer(
        "b@example.org", "Ada <script>", "Judo", WHEN, "tok123", datetime(2024, 8, 1, 10, 0), lang),
        {"fr": ("Ada <script> vous transfère un billet", "dimanche 4 août 2024, 21:50", "Acceptez-le avant le"),
         "en": ("Ada <script> is sending you a ticket", "Sunday, 4 August 2024, 21:50", "Accept it before")}),
}
OTHER = {"fr": "en", "en": "fr"}


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("name", sorted(MAILS))
def test_each_mail_in_the_recipients_language(settings_env: pytest.MonkeyPatch, name: str, lang: str) -> None:
    send, expected = MAILS[name]
    send(lang)
    (message,) = mail.read_outbox()
    subject, text, html = _parts(message)
    assert subject.startswith("JO E-Tickets — ") and expected[lang][0] in subject
    for snippet in expected[lang][1:]:
        assert snippet in text and snippet.replace("<", "&lt;").replace("'", "&#39;") in html, snippet
    for snippet in expected[OTHER[lang]]:
        if snippet not in expected[lang]:
            assert snippet not in subject + text, snippet  # nothing of the other language
    assert f'<html lang="{lang}">' in html and "<script>" not in html and "<b>" not in html.replace("<body", "")


def test_transfer_done_mails_in_both_languages(settings_env: pytest.MonkeyPatch) -> None:
    """Each party in their own language: an English sender and a French recipient, then the other way round."""
    mail_ownership.send_transfer_done("s@example.org", "Sam", "r@example.org", "Rita", "Judo", "en", "fr")
    to_recipient, to_sender = mail.read_outbox()
    assert "Ticket transferred" in to_sender["Subject"] and "accepted by r@example.org" in _parts(to_sender)[1]
    assert "Billet reçu" in to_recipient["Subject"] and "maintenant à vous" in _parts(to_recipient)[1]
    mail_ownership.send_transfer_done("s@example.org", "Sam", "r@example.org", "Rita", "Judo", "fr", "en")
    to_recipient, to_sender = mail.read_outbox()[:2]
    assert "Billet transféré" in to_sender["Subject"] and "accepté par r@example.org" in _parts(to_sender)[1]
    assert "Ticket received" in to_recipient["Subject"] and "is now yours" in _parts(to_recipient)[1]
