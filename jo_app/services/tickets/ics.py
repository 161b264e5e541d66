"""The add-to-calendar file of a ticket (iCalendar, built with the `icalendar` library) in the buyer's language."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event

from jo_app.i18n import normalize_lang, ntext, text
from jo_app.models import TicketStatus
from jo_app.services.tickets.document import TicketDocument, pack_label
from jo_app.timeutil import utcnow

EVENT_DURATION = timedelta(hours=3)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


def ticket_ics(data: TicketDocument, lang: str = "fr", *, now: datetime | None = None) -> str:
    """An iCalendar file with one VEVENT (3 h) for add-to-calendar. No holder name (calendars get shared)."""
    lang = normalize_lang(lang)
    persons = ntext("common.persons", data.persons, lang)
    description = "\n".join((data.sport, text("ics.pack", lang, pack=pack_label(data.offer_type, lang),
                                                persons=persons),
                             text("ics.ticket", lang, number=data.ticket_number),
                             text("ics.order", lang, reference=data.order_reference), text("ics.show_qr", lang)))
    calendar = Calendar()
    calendar.add("prodid", f"-//JO E-Tickets//Tickets//{lang.upper()}")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"ticket-{re.sub(r'[^A-Za-z0-9-]', '-', data.ticket_number)}@jo-etickets")
    event.add("dtstamp", _utc(now or utcnow()))
    event.add("dtstart", _utc(data.starts_at))
    event.add("dtend", _utc(data.starts_at + EVENT_DURATION))
    event.add("summary", data.event_title, parameters={"LANGUAGE": lang})
    event.add("location", f"{data.venue}, {data.city}")
    event.add("description", description, parameters={"LANGUAGE": lang})
    event.add("status", "CANCELLED" if data.status == TicketStatus.CANCELLED else "CONFIRMED")
    event.add("transp", "OPAQUE")
    calendar.add_component(event)
    return calendar.to_ical().decode()
