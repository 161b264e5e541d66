"""What the gate screen shows for a scan result: localized verdict texts and the sound / vibration feedback."""

from __future__ import annotations

from jo_app.i18n import text
from jo_app.models import ScanVerdict
from jo_app.services import gate_events
from jo_app.services.gate import ScanResult


def verdict_view(result: ScanResult, lang: str) -> dict[str, str]:
    """What the overlay and the recent list show, in `lang` (all values strings)."""
    kind = result.verdict.value
    detail = ""
    if result.verdict == ScanVerdict.VALID:
        detail = text("gate.admit_persons", lang, count=result.persons or 1)
    elif result.verdict == ScanVerdict.ALREADY_USED:
        when = gate_events.local_time(result.used_at, "%d/%m/%Y %H:%M:%S") if result.used_at else "?"
        detail = text("gate.used_when", lang, when=when, gate=result.used_gate or "?")
    elif result.verdict == ScanVerdict.INVALID:
        detail = text("gate.r.superseded" if result.reason == "superseded" else "gate.r.invalid", lang)
    elif result.verdict == ScanVerdict.UNKNOWN_TICKET:
        detail = text("gate.r.unknown_ticket", lang)
    elif result.verdict == ScanVerdict.CANCELLED:
        detail = text("gate.r.cancelled", lang)
    elif result.verdict == ScanVerdict.WRONG_DAY:
        detail = text("gate.r.wrong_day", lang, detail=result.message)
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
