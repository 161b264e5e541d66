"""Image upload for the admin catalogue (`AdminCatalogState` mixes it in): the event's and the offer's picture.

An upload is checked and cleaned by `services.catalog.images`, stored in the upload directory, and kept in `event_image`
/ `offer_image` until the form is saved (`image_value` then compares it with the `_..._original` the record had).
Every handler checks the administrator on the server (`AdminState._admin`, from the database) before anything.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from jo_app.i18n import error_key
from jo_app.services.catalog import images
from jo_app.services.errors import ValidationError
from jo_app.state.catalog.admin_data import UPLOAD_URL_PREFIX
from jo_app.state.shop_format import image_src


class CatalogImages(rx.State, mixin=True):
    """Image vars and handlers; the host state provides `_admin`, `_notice`, `event_errors` and `message`."""

    event_image: str = ""
    offer_image: str = ""
    _event_image_original: str = ""
    _offer_image_original: str = ""

    @rx.var
    def event_image_url(self) -> str:
        return image_src(self.event_image) if self.event_image else ""

    @rx.var
    def offer_image_url(self) -> str:
        return image_src(self.offer_image) if self.offer_image else ""

    async def _store_upload(self, files: list[rx.UploadFile]) -> str | None:
        """Validate and store the first uploaded file; returns its public URL or None (error set)."""
        if not files:
            return None
        data = await files[0].read(images.MAX_BYTES + 1)
        try:
            name = await asyncio.to_thread(images.store_image, data, rx.get_upload_dir())
        except ValidationError as exc:
            self._notice(error=error_key(exc))
            return None
        return UPLOAD_URL_PREFIX + name

    async def _admin_upload(self, files: list[rx.UploadFile]) -> str | None:
        """The administrator check, then `_store_upload`; the stored image's URL or None."""
        if await self._admin() is None:
            return None
        self._notice()
        url = await self._store_upload(files)
        if url:
            self.message = "msg.admin.image_ready"
        return url

    @rx.event
    async def upload_event_image(self, files: list[rx.UploadFile]):
        url = await self._admin_upload(files)
        if url:
            self.event_image = url
            self.event_errors = {k: v for k, v in self.event_errors.items() if k != "image"}

    @rx.event
    async def upload_offer_image(self, files: list[rx.UploadFile]):
        url = await self._admin_upload(files)
        if url:
            self.offer_image = url

    @rx.event
    async def remove_image(self, which: str):
        if await self._admin() is None:
            return
        if which == "event":
            self.event_image = ""
        else:
            self.offer_image = ""
