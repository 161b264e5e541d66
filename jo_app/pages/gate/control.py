"""/controle: the employee gate page, phone first (portrait 360 px, big targets, high contrast).

Layout: checkpoint choice (gate name + session) -> live counters, camera scanner, manual / keyboard-wedge entry,
recent scans; a full-screen verdict overlay (tap or ~2 s to close). Non-staff users only see "access denied".
"""

from __future__ import annotations

import reflex as rx

from jo_app.components.layout import page_shell
from jo_app.components.qr_scanner import qr_scanner
from jo_app.i18n import LangState, tr
from jo_app.state.gate.control import GateState
from jo_app.state.gate.live import GateLiveState

GREEN, ORANGE, RED = "#0a6b1f", "#f59e0b", "#b91c1c"
BIG = {"min_height": "3.25rem", "font_size": "1.15rem"}


def _denied() -> rx.Component:
    return rx.vstack(
        rx.heading(tr("gate.denied_title"), as_="h1", size="7", color=RED, id="gate-denied"),
        rx.text(tr("gate.denied_text"), size="4"),
        rx.cond(~GateState.is_authenticated,
                rx.link(rx.button(tr("gate.login"), size="4"), href="/connexion?next=/controle")),
        spacing="4",
        padding_y="2rem",
    )


def _setup() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading(tr("gate.setup_title"), as_="h2", size="5"),
            rx.el.label(tr("gate.gate_name"), html_for="gate-name", font_weight="600"),
            rx.input(name="gate", id="gate-name", default_value=GateState.gate_name, max_length=60,
                     placeholder=tr("gate.gate_placeholder"), size="3", width="100%", auto_complete="off"),
            rx.el.label(tr("gate.event"), html_for="gate-event", font_weight="600"),
            rx.el.select(
                rx.el.option(tr("gate.choose_event"), value=""),
                rx.foreach(GateState.events,
                           lambda e: rx.el.option(rx.cond(e["open"], "● ", "") + e["label"], value=e["id"])),
                name="event_id", id="gate-event", width="100%", font_size="1.05rem", padding="0.7rem",
                border="2px solid #111827", border_radius="8px", background="#ffffff", color="#111827",
            ),
            rx.cond(GateState.events.length() == 0, rx.text(tr("gate.no_events"), color="#374151")),
            rx.cond(GateState.setup_error, rx.callout(GateState.setup_error, color_scheme="red", role="alert",
                                                      id="gate-setup-error", width="100%")),
            rx.button(tr("gate.start"), type="submit", id="gate-start", width="100%", size="4", **BIG),
            spacing="3",
            width="100%",
            align="stretch",
        ),
        on_submit=GateState.configure,
        reset_on_submit=False,
        width="100%",
    )


def _counter(label_key: str, value: rx.Var, elem_id: str) -> rx.Component:
    return rx.vstack(
        rx.text(value, id=elem_id, font_size="2.4rem", font_weight="800", line_height="1", color="#0b1f4d"),
        rx.text(tr(label_key), size="2", weight="medium", color="#111827"),
        spacing="1", align="center", flex="1", padding="0.6rem", border="2px solid #0b1f4d", border_radius="10px",
        background="#f5f7fb",
    )


def _counters() -> rx.Component:
    return rx.box(
        rx.hstack(
            _counter("gate.admitted", GateLiveState.admitted_persons, "gate-admitted"),
            _counter("gate.sold", GateLiveState.sold_persons, "gate-sold"),
            spacing="3", width="100%",
        ),
        rx.text(tr("gate.all_gates"), size="1", color="#374151", text_align="center", width="100%"),
        width="100%",
        aria_live="polite",
    )


def _camera() -> rx.Component:
    return rx.vstack(
        rx.cond(
            GateState.camera_on,
            rx.box(
                qr_scanner(on_scan=GateState.scan, on_error=GateState.camera_failed, allow_multiple=True,
                           scan_delay=500, retry_delay=150,
                           styles={"container": {"width": "100%", "aspectRatio": "1 / 1"},
                                   "video": {"objectFit": "cover"}}),
                width="100%", max_width="26rem", margin_x="auto", border="3px solid #111827",
                border_radius="12px", overflow="hidden", background="#000000", id="gate-camera",
            ),
        ),
        rx.cond(
            GateState.camera_error,
            rx.hstack(
                rx.text(GateState.camera_error, color=RED, weight="bold", id="gate-camera-error", flex="1"),
                # Clears the error and mounts the scanner again: a new camera request (permission, device).
                rx.button(tr("gate.retry_camera"), on_click=GateState.retry_camera, variant="soft", size="3",
                          type="button", id="gate-camera-retry"),
                width="100%", align="center",
            ),
        ),
        rx.button(
            rx.cond(GateState.camera_on, tr("gate.camera_off"), tr("gate.camera_on")),
            on_click=GateState.toggle_camera, variant="outline", size="3", width="100%", id="gate-camera-toggle",
            type="button", **BIG,
        ),
        spacing="2",
        width="100%",
    )


def _manual() -> rx.Component:
    return rx.form(
        rx.el.label(tr("gate.manual"), html_for="gate-manual-input", font_weight="600"),
        rx.hstack(
            rx.input(name="code", id="gate-manual-input", placeholder=tr("gate.manual_placeholder"),
                     auto_complete="off", auto_capitalize="off", spell_check=False, enter_key_hint="go",
                     auto_focus=True, size="3", flex="1", custom_attrs={"autoCorrect": "off"}),
            rx.button(tr("gate.check"), type="submit", id="gate-manual-submit", size="3", **BIG),
            spacing="2", width="100%", align="center",
        ),
        rx.text(tr("gate.manual_hint"), size="2", color="#374151"),
        on_submit=GateState.submit_manual,
        reset_on_submit=True,
        width="100%",
    )


def _candidate(c: rx.Var) -> rx.Component:
    """One ticket found by manual entry: who and what, then admit (after checking the person) or not."""
    return rx.box(
        rx.text(c["holder"], size="6", weight="bold", custom_attrs={"data-testid": "manual-holder"}),
        rx.text(c["number"], " · ", c["persons"], size="3", font_family="monospace"),
        rx.text(c["event"], size="2", color="#111827"),
        rx.text(rx.cond(c["state"] == "other_event", tr("gate.other_event"), c["status"]), weight="bold",
                color=rx.cond(c["state"] == "valid", GREEN, RED), custom_attrs={"data-testid": "manual-status"}),
        rx.button(tr("gate.confirm_admit"), on_click=GateState.confirm_manual(c["id"]), type="button", size="4",
                  width="100%", margin_top="0.5rem", color_scheme="green", id="gate-manual-admit-" + c["id"],
                  custom_attrs={"data-testid": "manual-admit"}, **BIG),
        padding="0.9rem", border="2px solid #111827", border_radius="10px", width="100%",
        custom_attrs={"data-testid": "manual-candidate", "data-ticket-id": c["id"]},
    )


def _confirm() -> rx.Component:
    return rx.cond(
        GateState.manual_candidates.length() > 0,
        rx.vstack(
            rx.heading(tr("gate.confirm_title"), as_="h2", size="4", color=RED),
            rx.foreach(GateState.manual_candidates, _candidate),
            rx.button(tr("gate.confirm_cancel"), on_click=GateState.cancel_manual, variant="soft", size="3",
                      width="100%", type="button", id="gate-manual-cancel"),
            spacing="3", width="100%", id="gate-manual-confirm", role="region",
            aria_label=tr("gate.confirm_title"),
        ),
    )


def _in_lang(view: rx.Var, name: str) -> rx.Var:
    """A verdict text in the page's current language (both are sent: a language switch applies at once)."""
    return rx.cond(LangState.current_lang == "en", view[f"{name}_en"], view[f"{name}_fr"])


def _kind_color(kind: rx.Var) -> rx.Var:
    return rx.match(kind, ("VALID", GREEN), ("ALREADY_USED", ORANGE), RED)


def _recent() -> rx.Component:
    def row(entry: rx.Var) -> rx.Component:
        return rx.hstack(
            rx.box(width="0.9rem", height="0.9rem", border_radius="50%", background=_kind_color(entry["kind"]),
                   flex_shrink="0"),
            rx.text(entry["time"], size="2", font_family="monospace"),
            rx.text(_in_lang(entry, "title"), size="2", weight="bold"),
            rx.text(entry["ticket"], size="2", color="#374151", overflow="hidden", text_overflow="ellipsis",
                    white_space="nowrap"),
            spacing="2", align="center", width="100%", padding_y="0.35rem", border_bottom="1px solid #d0d7e2",
            custom_attrs={"data-verdict": entry["kind"]},
        )

    return rx.vstack(
        rx.heading(tr("gate.recent"), as_="h2", size="3"),
        rx.cond(GateState.recent.length() == 0, rx.text(tr("gate.recent_empty"), size="2", color="#374151")),
        rx.el.div(rx.foreach(GateState.recent, row), id="gate-recent", width="100%"),
        spacing="2", width="100%",
    )


def _overlay() -> rx.Component:
    kind = GateState.verdict["kind"]
    text_color = rx.cond(kind == "ALREADY_USED", "#111111", "#ffffff")
    return rx.cond(
        GateState.verdict_visible,
        rx.box(
            rx.vstack(
                rx.icon(rx.match(kind, ("VALID", "circle-check"), ("ALREADY_USED", "circle-alert"), "circle-x"),
                        size=96, aria_hidden="true"),
                rx.text(_in_lang(GateState.verdict, "title"), id="gate-verdict-title", font_size="2.6rem",
                        font_weight="900", line_height="1.05", text_align="center"),
                rx.text(_in_lang(GateState.verdict, "detail"), id="gate-verdict-detail", font_size="1.35rem",
                        font_weight="700", text_align="center"),
                rx.cond(GateState.verdict["holder"], rx.text(GateState.verdict["holder"], size="5", weight="bold",
                                                             text_align="center", id="gate-verdict-holder")),
                rx.cond(GateState.verdict["event"], rx.text(GateState.verdict["event"], size="4", text_align="center")),
                rx.cond(GateState.verdict["ticket"], rx.text(GateState.verdict["ticket"], size="3",
                                                             font_family="monospace")),
                rx.text(tr("gate.tap_to_close"), size="2", opacity="0.85", margin_top="1rem"),
                spacing="3", align="center", justify="center", height="100%", padding="1.5rem",
            ),
            on_click=GateState.dismiss,
            id="gate-verdict",
            role="alert",
            custom_attrs={"data-verdict": kind},
            position="fixed", top="0", left="0", right="0", bottom="0", z_index="2000",
            background=_kind_color(kind), color=text_color, cursor="pointer",
        ),
    )


def _station() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.vstack(
                rx.text(GateState.gate_name, weight="bold", size="5", id="gate-current-gate"),
                rx.text(GateState.event_label, size="2", color="#111827", id="gate-current-event"),
                spacing="0", flex="1", min_width="0",
            ),
            rx.button(tr("gate.change"), on_click=GateState.reconfigure, variant="soft", size="3",
                      id="gate-change", type="button"),
            width="100%", align="center",
        ),
        _counters(),
        rx.cond(GateState.notice, rx.callout(GateState.notice, color_scheme="red", role="alert", width="100%",
                                             id="gate-notice")),
        _camera(),
        _manual(),
        _confirm(),
        _recent(),
        _overlay(),
        spacing="4",
        width="100%",
    )


def gate_page() -> rx.Component:
    return page_shell(
        rx.cond(
            GateState.allowed,
            rx.vstack(
                rx.heading(tr("gate.title"), as_="h1", size="6"),
                rx.cond(GateState.configured, _station(), _setup()),
                spacing="3", width="100%", id="gate-station",
            ),
            rx.cond(GateState.checked, _denied(), rx.text(tr("common.loading"), id="gate-loading")),
        ),
        max_width="30rem",
    )
