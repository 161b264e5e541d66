"""What the gate screen shows for a scan result: localized verdict texts and the sound / vibration feedback."""

from __future__ import annotations

from jo_app.i18n import ntext, text
from jo_app.models import ScanVerdict
from jo_app.services.gate import schedule as gate_events
from jo_app.services.gate.admission import ScanResult

# Only a failed signature is called forged; a text that is not a ticket code at all is "not recognised".
_INVALID_TEXT = {"superseded": "gate.r.superseded", "bad_signature": "gate.r.forged", "unknown_key": "gate.r.forged"}


def verdict_view(result: ScanResult, lang: str) -> dict[str, str]:
    """What the overlay and the recent list show, in `lang` (all values strings)."""
    kind = result.verdict.value
    detail = ""
    if result.verdict == ScanVerdict.VALID:
        persons = result.persons or 1
        detail = ntext("gate.admit_persons", persons, lang, count=persons)
    elif result.verdict == ScanVerdict.ALREADY_USED:
        when = gate_events.local_time(result.used_at, "%d/%m/%Y %H:%M:%S") if result.used_at else "?"
        detail = text("gate.used_when", lang, when=when, gate=result.used_gate or "?")
    elif result.verdict == ScanVerdict.INVALID:
        detail = text(_INVALID_TEXT.get(result.reason, "gate.r.invalid"), lang)
    elif result.verdict == ScanVerdict.UNKNOWN_TICKET:
        key = "gate.r.manual_unknown" if result.reason == "manual_unknown" else "gate.r.unknown_ticket"
        detail = text(key, lang)
    elif result.verdict == ScanVerdict.CANCELLED:
        detail = text("gate.r.cancelled", lang)
    elif result.verdict == ScanVerdict.WRONG_DAY:
        detail = text("gate.r.wrong_day", lang, detail=result.message)
    elif result.verdict == ScanVerdict.TRANSFERRED:
        detail = text("gate.r.transferred", lang)
    elif result.verdict == ScanVerdict.CODE_EXPIRED:
        detail = text("gate.r.code_expired", lang)
    elif result.verdict == ScanVerdict.STATIC_REFUSED:
        detail = text("gate.r.static_refused", lang)
    elif result.verdict == ScanVerdict.WRONG_EVENT:
        detail = text("gate.r.wrong_event", lang, title=result.event_title or "?")
    return {
        "kind": kind,
        "title": text(f"gate.v.{kind}", lang),
        "detail": detail,
        "persons": str(result.persons or ""),
        "ticket": result.ticket_number or "",
        "event": result.event_title or "",
        "holder": result.holder_name or "",
        "used_at": gate_events.local_time(result.used_at, "%H:%M:%S") if result.used_at else "",
        "used_gate": result.used_gate or "",
    }


def verdict_both(result: ScanResult, lang: str) -> dict[str, str]:
    """`verdict_view` in `lang`, plus `title_fr/en` and `detail_fr/en`: the overlay and the recent list follow a
    language switch made while the gate is running (they are not frozen in the language of the scan)."""
    view = verdict_view(result, lang)
    for code in ("fr", "en"):
        other = view if code == lang else verdict_view(result, code)
        view[f"title_{code}"], view[f"detail_{code}"] = other["title"], other["detail"]
    return view


# Sound (WebAudio beep) and vibration per verdict; a tiny inline script, no JS file.
_FEEDBACK = {
    "VALID": ([880], [120]),
    "ALREADY_USED": ([440, 440], [200, 100, 200]),
}
_FEEDBACK_DEFAULT = ([220, 180, 220], [400, 100, 400])


_FEEDBACK_JS = (
    "(() => { try { if (navigator.vibrate) navigator.vibrate(PATTERN); } catch (e) {}"
    " try { const C = window.AudioContext || window.webkitAudioContext; if (!C) return;"
    " const ctx = window.__joGateAudio || (window.__joGateAudio = new C());"
    " if (ctx.state === 'suspended') ctx.resume();"
    " let t = ctx.currentTime; for (const f of TONES) { const o = ctx.createOscillator(); const g = ctx.createGain();"
    " o.type = 'square'; o.frequency.value = f; g.gain.value = 0.15; o.connect(g); g.connect(ctx.destination);"
    " o.start(t); o.stop(t + 0.15); t += 0.2; } } catch (e) {} })()"
)


def feedback_script(kind: str) -> str:
    """A beep (WebAudio) and a vibration pattern for a verdict kind; silently skipped where unsupported."""
    tones, pattern = _FEEDBACK.get(kind, _FEEDBACK_DEFAULT)
    return _FEEDBACK_JS.replace("PATTERN", str(pattern)).replace("TONES", str(tones))
