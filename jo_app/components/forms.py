"""Form building blocks: labelled inputs with an inline, announced error, and the live password rules checklist.

Errors are catalogue keys (`err.*`) kept in a state dict `errors: dict[str, str]` (field name -> key), so they
follow the language switch. Inputs are uncontrolled (read from the submitted form data): passwords never travel
to the server before the form is submitted.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.experimental.client_state import ClientStateVar

from jo_app.i18n import tr, tr_var

ERROR_COLOR = "#b42318"  # 6.0:1 on white (WCAG AA)
OK_COLOR = "#067647"  # 5.6:1 on white
MUTED_COLOR = "#4b5563"  # 7.5:1 on white

# The JS twins of passwords.password_rules (display only; the server re-checks everything).
_RULE_TESTS = {
    "length": "(({v}).length >= 8 && ({v}).length <= 128)",
    "upper": "/\\p{{Lu}}/u.test({v})",
    "lower": "/\\p{{Ll}}/u.test({v})",
    "digit": "/\\p{{Nd}}/u.test({v})",
    "special": "/[^\\p{{L}}\\p{{N}}\\s]/u.test({v})",
}


def field_error(error: rx.Var, field_id: str) -> rx.Component:
    """The inline error under a field (empty when `error` is empty), announced by screen readers."""
    return rx.text(
        tr_var(error), id=f"{field_id}-error", color=ERROR_COLOR, size="2", weight="medium",
        role="alert", aria_live="polite", min_height="1.25em",
    )


def text_field(name: str, label_key: str, *, error: rx.Var | None = None, type: str = "text",
               autocomplete: str = "", required: bool = True, hint_key: str | None = None,
               field_id: str | None = None, **input_props: Any) -> rx.Component:
    """A `<label>` + input (+ hint) + inline error, wired with aria-invalid / aria-describedby."""
    field_id = field_id or f"f-{name}"
    described = " ".join(x for x in (f"{field_id}-hint" if hint_key else "", f"{field_id}-error") if x)
    invalid = rx.cond(error, "true", "false") if error is not None else "false"
    return rx.box(
        rx.el.label(
            tr(label_key),
            html_for=field_id,
            style={"fontWeight": "600", "display": "block", "marginBottom": "0.25rem", "color": "#111827"},
        ),
        rx.text(tr(hint_key), id=f"{field_id}-hint", size="2", color=MUTED_COLOR) if hint_key else rx.fragment(),
        rx.input(
            id=field_id, name=name, type=type, required=required, auto_complete=autocomplete or None,
            aria_invalid=invalid, aria_describedby=described, size="3", width="100%", **input_props,
        ),
        field_error(error if error is not None else rx.Var.create(""), field_id),
        width="100%",
    )


def password_rules_checklist(value: rx.Var, list_id: str = "password-rules") -> rx.Component:
    """Live list of the password rules, each marked met / not met as the user types (computed in the browser)."""
    def rule(name: str) -> rx.Component:
        met = rx.Var(_RULE_TESTS[name].format(v=f"({value} ?? '')"), _var_data=value._get_all_var_data()).to(bool)
        return rx.el.li(
            rx.hstack(
                rx.cond(met, rx.icon("circle-check", size=16, color=OK_COLOR, aria_hidden="true"),
                        rx.icon("circle", size=16, color=MUTED_COLOR, aria_hidden="true")),
                rx.text(tr(f"rule.{name}"), as_="span", size="2", color=rx.cond(met, OK_COLOR, MUTED_COLOR)),
                rx.el.span(rx.cond(met, tr("rule.met"), tr("rule.unmet")), class_name="rt-sr-only",
                           style={"position": "absolute", "width": "1px", "height": "1px", "overflow": "hidden",
                                  "clip": "rect(0 0 0 0)", "whiteSpace": "nowrap"}),
                spacing="2", align="center",
            ),
            data_met=rx.cond(met, "true", "false"),
            data_rule=name,
            list_style="none",
        )

    return rx.box(
        rx.text(tr("rule.title"), size="2", color=MUTED_COLOR, id=f"{list_id}-title"),
        rx.el.ul(*(rule(n) for n in _RULE_TESTS), id=list_id, aria_labelledby=f"{list_id}-title",
                 style={"paddingLeft": "0", "margin": "0.25rem 0 0.5rem 0"}),
    )


def password_field_with_rules(name: str, label_key: str, state_key: str, *, error: rx.Var | None = None,
                              autocomplete: str = "new-password", field_id: str | None = None) -> rx.Component:
    """A new-password field followed by its live rules checklist (the typed value stays in the browser)."""
    typed = ClientStateVar.create(state_key, "")
    field_id = field_id or f"f-{name}"
    return rx.box(
        text_field(name, label_key, error=error, type="password", autocomplete=autocomplete, field_id=field_id,
                   on_change=typed.set_value),
        password_rules_checklist(typed.value, list_id=f"{field_id}-rules"),
        width="100%",
    )


def notice(message_key: rx.Var, *, tone: str | None = None, box_id: str = "notice") -> rx.Component:
    """A status callout for a `msg.*` (green) or `err.*` (red) key held in a state var; hidden when empty.

    `tone` forces the colour scheme (e.g. "red") instead of deriving it from the key.
    """
    is_error = message_key.to(str).startswith("err.") if tone is None else rx.Var.create(tone == "red")
    return rx.cond(
        message_key,
        rx.callout(tr_var(message_key), color_scheme=tone or rx.cond(is_error, "red", "green"),
                   role=rx.cond(is_error, "alert", "status"), id=box_id, width="100%", margin_bottom="1rem"),
        rx.fragment(),
    )


def submit_button(label_key: str, *, busy: rx.Var | bool = False, button_id: str | None = None,
                  **props: Any) -> rx.Component:
    """The form's submit button; shows a spinner and is disabled while `busy` (one click = one request)."""
    return rx.button(
        tr(label_key), type="submit", loading=busy, disabled=busy, size="3", id=button_id, **props,
    )


def form_card(*children: rx.Component, **props: Any) -> rx.Component:
    return rx.card(rx.vstack(*children, spacing="3", width="100%"), width="100%", size="3", **props)


def section_card(title_key: str, *children: rx.Component, section_id: str) -> rx.Component:
    """A titled card holding one `<section>` of a page (heading id `<section_id>-title`)."""
    return rx.card(
        rx.el.section(
            rx.heading(tr(title_key), as_="h2", size="5", margin_bottom="0.75rem", id=f"{section_id}-title"),
            rx.vstack(*children, spacing="3", width="100%", align="start"),
            aria_labelledby=f"{section_id}-title",
            id=section_id,
        ),
        width="100%",
        size="3",
    )
