"""Verdict texts of the gate screen (both languages, Paris time) and the per-verdict feedback script."""

from __future__ import annotations

from datetime import datetime

from jo_app.models import ScanVerdict
from jo_app.services.gate.admission import ScanResult
from jo_app.state.gate.live import live_topic
from jo_app.state.gate.view import feedback_script, verdict_both, verdict_view


def _result(verdict: ScanVerdict, **extra) -> ScanResult:
    return ScanResult(verdict, "service message", extra.pop("reason", verdict.value.lower()), ticket_number="T-01",
                      persons=extra.pop("persons", 2), event_title="Judo", holder_name="Léa Moreau", **extra)


def test_already_used_says_when_in_paris_time_and_where() -> None:
    used = _result(ScanVerdict.ALREADY_USED, used_at=datetime(2026, 7, 30, 8, 5, 9), used_gate="Porte A")
    fr, en = verdict_view(used, "fr"), verdict_view(used, "en")
    assert fr["title"] == "DÉJÀ UTILISÉ" and en["title"] == "ALREADY USED"
    assert "30/07/2026 10:05:09" in fr["detail"] and "Porte A" in fr["detail"]  # UTC+2 in summer
    assert "30/07/2026 10:05:09" in en["detail"] and "Porte A" in en["detail"]
    assert fr["kind"] == "ALREADY_USED" and fr["ticket"] == "T-01" and fr["used_gate"] == "Porte A"


def test_each_verdict_has_a_title_and_a_reason() -> None:
    assert verdict_view(_result(ScanVerdict.VALID), "en")["detail"] == "Admit 2 persons"
    assert verdict_view(_result(ScanVerdict.VALID, persons=1), "fr")["detail"] == "Faire entrer 1 personne"
    assert "re-issued" in verdict_view(_result(ScanVerdict.INVALID, reason="superseded"), "en")["detail"]
    assert "forged" in verdict_view(_result(ScanVerdict.INVALID, reason="bad_signature"), "en")["detail"]
    assert "Judo" in verdict_view(_result(ScanVerdict.WRONG_EVENT), "fr")["detail"]
    assert "service message" in verdict_view(_result(ScanVerdict.WRONG_DAY), "fr")["detail"]
    for verdict in ScanVerdict:
        view = verdict_view(_result(verdict), "fr")
        assert view["title"] and view["detail"], verdict
        assert all(isinstance(v, str) for v in view.values())


def test_feedback_differs_between_admit_warn_and_refuse() -> None:
    valid, used, refused = (feedback_script(k) for k in ("VALID", "ALREADY_USED", "CANCELLED"))
    assert "navigator.vibrate([120])" in valid and "[880]" in valid
    assert "navigator.vibrate([200, 100, 200])" in used
    assert "navigator.vibrate([400, 100, 400])" in refused
    assert feedback_script("INVALID") == refused


def test_live_topic_of_an_event() -> None:
    assert live_topic(42) == "gate:42" and live_topic("7") == "gate:7"


def test_only_a_bad_signature_is_called_forged() -> None:
    for reason in ("bad_signature", "unknown_key"):
        view = verdict_view(_result(ScanVerdict.INVALID, reason=reason), "fr")
        assert "falsifié" in view["detail"] and "Signature invalide" in view["detail"]
    for reason in ("bad_prefix", "bad_length", "bad_encoding", "bad_version"):
        detail = verdict_view(_result(ScanVerdict.INVALID, reason=reason), "fr")["detail"]
        assert "falsifi" not in detail and "non reconnu" in detail, reason
    typed = verdict_view(_result(ScanVerdict.UNKNOWN_TICKET, reason="manual_unknown"), "fr")
    assert typed["title"] == "INCONNU" and "numéro imprimé" in typed["detail"] and "falsifi" not in typed["detail"]
    english = verdict_view(_result(ScanVerdict.UNKNOWN_TICKET, reason="manual_unknown"), "en")
    assert "printed number" in english["detail"]


def test_verdict_carries_both_languages_for_a_switch_while_running() -> None:
    both = verdict_both(_result(ScanVerdict.TRANSFERRED), "en")
    assert both["title"] == both["title_en"] == "TRANSFERRED" and both["title_fr"] == "BILLET TRANSFÉRÉ"
    assert "void" in both["detail_en"] and "transféré" in both["detail_fr"] and both["detail"] == both["detail_en"]
