"""Admin events and offers: list, create, edit, publish / unpublish, delete (refused once sold); image upload in
`admin_catalog_images`.

Forms are uncontrolled inputs read on submit; `event_form_key` / `offer_form_key` change whenever another
record is loaded so the inputs remount with their new default values. Images are uploaded first (checked and
cleaned by `services.catalog.images`) and kept in a server-side var until the form is saved. After every change the
open visitor catalogues are updated (the service's `CatalogChanged` event, `jo_app.wiring`).
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import reflex as rx

from jo_app.i18n import error_key
from jo_app.services.catalog import admin as catalog_admin
from jo_app.services.catalog.admin import EventInput, OfferInput
from jo_app.services.errors import DomainError
from jo_app.state.admin_common import AdminState, field_errors
from jo_app.state.catalog.admin_data import (
    EMPTY_EVENT,
    EMPTY_OFFER,
    EVENT_FIELDS,
    OFFER_FIELDS,
    event_detail,
    event_rows,
    image_value,
    parse_local_datetime,
    parse_price_cents,
    run,
)
from jo_app.state.catalog.admin_images import CatalogImages
from jo_app.state.client_input import as_int, clean_text


class AdminCatalogState(CatalogImages, AdminState):
    """/admin/evenements."""

    events: list[dict[str, Any]] = []
    selected_id: int = 0
    selected_title: str = ""
    selected_sold: int = 0
    offers: list[dict[str, Any]] = []
    event_form: dict[str, Any] = dict(EMPTY_EVENT)
    event_form_key: str = "new"
    event_errors: dict[str, str] = {}
    offer_form: dict[str, Any] = dict(EMPTY_OFFER)
    offer_form_key: str = "new"
    editing_offer_id: int = 0
    offer_errors: dict[str, str] = {}
    message: str = ""
    error: str = ""
    confirm_delete: str = ""
    busy: bool = False

    def _clear(self) -> None:
        self.events, self.offers, self.selected_id, self.selected_title = [], [], 0, ""
        self.event_form, self.offer_form = dict(EMPTY_EVENT), dict(EMPTY_OFFER)
        self.event_image = self.offer_image = self.message = self.error = ""

    async def _reload(self) -> None:
        self.events = await asyncio.to_thread(event_rows)
        if self.selected_id:
            detail = await asyncio.to_thread(event_detail, self.selected_id)
            if detail is None:
                self.selected_id, self.offers = 0, []
            else:
                self.offers, self.selected_title = detail["offers"], detail["title"]
                self.selected_sold = detail["seats_sold"]

    def _notice(self, message: str = "", error: str = "") -> None:
        self.message, self.error, self.confirm_delete = message, error, ""

    @rx.event
    async def load(self):
        if await self._admin() is None:
            self._clear()
            return
        self._notice()
        await self._reload()

    # ---------------------------------------------------------------- events

    @rx.event
    async def new_event(self):
        """Empty the event form (create mode)."""
        if await self._admin() is None:
            return
        self.selected_id, self.selected_title, self.offers, self.selected_sold = 0, "", [], 0
        self.event_form, self.event_image, self.event_errors = dict(EMPTY_EVENT), "", {}
        self._event_image_original = ""
        self.event_form_key = f"new-{secrets.token_hex(3)}"
        self._reset_offer_form()
        self._notice()

    @rx.event
    async def select_event(self, event_id: int):
        """Load an event into the form and show its offers."""
        if await self._admin() is None:
            return
        detail = await asyncio.to_thread(event_detail, as_int(event_id) or 0)
        if detail is None:
            self._notice(error="err.event_not_found")
            return
        self.selected_id, self.selected_title, self.offers = detail["id"], detail["title"], detail["offers"]
        self.selected_sold = detail["seats_sold"]
        self.event_form, self.event_image, self.event_errors = detail["form"], detail["image"], {}
        self._event_image_original = detail["image"]
        self.event_form_key = f"e{detail['id']}-{secrets.token_hex(3)}"
        self._reset_offer_form()
        self._notice()

    @rx.event
    async def save_event(self, form: dict[str, Any]):
        """Create (no event selected) or update the selected event from the submitted form."""
        admin = await self._admin()
        if admin is None:
            return
        self.event_errors = {}
        self._notice()
        capacity = as_int(form.get("capacity"))
        starts_at = parse_local_datetime(form.get("starts_at"))
        errors = {}
        if capacity is None:
            errors["capacity"] = "err.invalid_number"
        if starts_at is None:
            errors["starts_at"] = "err.invalid_date"
        if errors:
            self.event_errors, self.error = errors, "err.form_invalid"
            return
        data = EventInput(title=clean_text(form.get("title"), 300), sport=clean_text(form.get("sport"), 120),
                          venue=clean_text(form.get("venue"), 240), city=clean_text(form.get("city"), 120),
                          starts_at=starts_at, capacity=capacity, description=clean_text(form.get("description"), 6000),
                          image=image_value(self.event_image, self._event_image_original),
                          is_published=bool(form.get("is_published")))
        self.busy = True
        yield
        try:
            if self.selected_id:
                await asyncio.to_thread(run, catalog_admin.update_event, admin.user_id, self.selected_id, data)
                event_id, message = self.selected_id, "msg.admin.event_saved"
            else:
                event_id = await asyncio.to_thread(run, catalog_admin.create_event, admin.user_id, data)
                message = "msg.admin.event_created" if data.is_published else "msg.admin.event_created_draft"
        except DomainError as exc:
            self.event_errors, self.error = field_errors(exc, EVENT_FIELDS)
            return
        finally:
            self.busy = False
        self.selected_id = event_id
        await self._reload()
        detail = await asyncio.to_thread(event_detail, event_id)
        if detail is not None:
            self.event_form, self.event_form_key = detail["form"], f"e{event_id}-{secrets.token_hex(3)}"
            self.event_image = self._event_image_original = detail["image"]
        self._notice(message)

    async def _set_published(self, service, target_id: int, published: bool, event_ids: list[int] | None):
        """Publish / unpublish through `service` as the admin of this session (checked here, from the DB)."""
        admin = await self._admin()
        if admin is None:
            return
        try:
            await asyncio.to_thread(run, service, admin.user_id, target_id, bool(published))
        except DomainError as exc:
            self._notice(error=error_key(exc))
            return
        await self._reload()
        self._notice("msg.admin.published" if published else "msg.admin.unpublished")

    @rx.event
    async def set_event_published(self, event_id: int, published: bool):
        target = as_int(event_id) or 0
        await self._set_published(catalog_admin.set_event_published, target, published, [target])

    @rx.event
    async def ask_delete(self, what: str):
        """First click on a delete button ("event:<id>" or "offer:<id>"): ask for confirmation."""
        if await self._admin() is None:
            return
        self.confirm_delete = clean_text(what, 40)

    @rx.event
    async def delete_event(self, event_id: int):
        admin = await self._admin()
        if admin is None:
            return
        event_id = as_int(event_id) or 0
        try:
            await asyncio.to_thread(run, catalog_admin.delete_event, admin.user_id, event_id)
        except DomainError as exc:
            self._notice(error=error_key(exc))
            return
        if self.selected_id == event_id:
            self.selected_id, self.offers, self.selected_title = 0, [], ""
            self.event_form, self.event_form_key, self.event_image = dict(EMPTY_EVENT), "new", ""
            self._event_image_original = ""
        await self._reload()
        self._notice("msg.admin.deleted")

    # ---------------------------------------------------------------- offers

    def _reset_offer_form(self) -> None:
        self.editing_offer_id, self.offer_form, self.offer_image, self.offer_errors = 0, dict(EMPTY_OFFER), "", {}
        self._offer_image_original = ""
        self.offer_form_key = f"o-new-{secrets.token_hex(3)}"

    @rx.event
    async def new_offer(self):
        if await self._admin() is None:
            return
        self._reset_offer_form()
        self._notice()

    @rx.event
    async def edit_offer(self, offer_id: int):
        if await self._admin() is None:
            return
        offer = next((o for o in self.offers if o["id"] == as_int(offer_id)), None)
        if offer is None:
            return
        self.editing_offer_id, self.offer_image, self.offer_errors = offer["id"], offer["image"], {}
        self._offer_image_original = offer["image"]
        self.offer_form = {"title": offer["title"], "offer_type": offer["offer_type"], "price": offer["price"],
                           "description": offer["description"], "is_published": offer["is_published"]}
        self.offer_form_key = f"o{offer['id']}-{secrets.token_hex(3)}"
        self._notice()

    @rx.event
    async def save_offer(self, form: dict[str, Any]):
        """Create or update an offer of the selected event."""
        admin = await self._admin()
        if admin is None:
            return
        self.offer_errors = {}
        self._notice()
        if not self.selected_id:
            self.error = "err.select_event"
            return
        price = parse_price_cents(form.get("price"))
        if price is None:
            self.offer_errors, self.error = {"price_cents": "err.invalid_price"}, "err.form_invalid"
            return
        data = OfferInput(event_id=self.selected_id, title=clean_text(form.get("title"), 200),
                          offer_type=clean_text(form.get("offer_type"), 20), price_cents=price,
                          description=clean_text(form.get("description"), 6000),
                          image=image_value(self.offer_image, self._offer_image_original),
                          is_published=bool(form.get("is_published")))
        try:
            if self.editing_offer_id:
                await asyncio.to_thread(run, catalog_admin.update_offer, admin.user_id, self.editing_offer_id, data)
            else:
                await asyncio.to_thread(run, catalog_admin.create_offer, admin.user_id, data)
        except DomainError as exc:
            self.offer_errors, self.error = field_errors(exc, OFFER_FIELDS)
            return
        created = not self.editing_offer_id
        self._reset_offer_form()
        await self._reload()
        self._notice("msg.admin.offer_created" if created else "msg.admin.offer_saved")

    @rx.event
    async def set_offer_published(self, offer_id: int, published: bool):
        await self._set_published(catalog_admin.set_offer_published, as_int(offer_id) or 0, published,
                                  [self.selected_id] if self.selected_id else None)

    @rx.event
    async def delete_offer(self, offer_id: int):
        admin = await self._admin()
        if admin is None:
            return
        try:
            await asyncio.to_thread(run, catalog_admin.delete_offer, admin.user_id, as_int(offer_id) or 0)
        except DomainError as exc:
            self._notice(error=error_key(exc))
            return
        if self.editing_offer_id == as_int(offer_id):
            self._reset_offer_form()
        await self._reload()
        self._notice("msg.admin.deleted")
