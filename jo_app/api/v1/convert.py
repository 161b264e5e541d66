"""Service dataclasses -> API models."""

from __future__ import annotations

from jo_app.api.v1 import schemas as s
from jo_app.services.catalog.listing import EventCard, OfferCard
from jo_app.services.gate.admission import ScanResult
from jo_app.services.orders.cart_view import CartView
from jo_app.services.orders.history import OrderDetail, OrderSummary, TicketView
from jo_app.timeutil import utcnow

API_PREFIX = "/api/v1"


def offer(card: OfferCard) -> s.OfferOut:
    return s.OfferOut(
        id=card.id, event_id=card.event_id, title=card.title, description=card.description,
        offer_type=card.offer_type, persons=card.persons, price_cents=card.price_cents,  # type: ignore[arg-type]
        image=card.image, seats_left=max(0, card.seats_left), sold_out=card.sold_out, event_title=card.event_title,
        event_sport=card.event_sport, event_venue=card.event_venue, event_starts_at=card.event_starts_at,
    )


def event(card: EventCard) -> s.EventOut:
    return s.EventOut(
        id=card.id, slug=card.slug, title=card.title, sport=card.sport, description=card.description,
        venue=card.venue, city=card.city, starts_at=card.starts_at, capacity=card.capacity,
        seats_left=max(0, card.seats_left), sold_out=card.sold_out, image=card.image,
        min_price_cents=card.min_price_cents, offers=[offer(o) for o in card.offers],
    )


def cart(view: CartView) -> s.CartOut:
    return s.CartOut(
        lines=[s.CartLineOut(
            offer_id=line.offer_id, event_id=line.event_id, event_title=line.event_title, sport=line.sport,
            venue=line.venue, starts_at=line.starts_at, offer_title=line.offer_title, offer_type=line.offer_type,
            persons=line.persons, quantity=line.quantity, unit_price_cents=line.unit_price_cents,
            line_total_cents=line.line_total_cents, seats_left=max(0, line.seats_left), problem=line.problem,
            hold_expires_at=line.hold_expires_at, hold_expired=line.hold_expired,
        ) for line in view.lines],
        total_cents=view.total_cents, count=view.count, persons=view.persons, can_checkout=view.can_checkout,
        hold_expires_at=view.hold_expires_at, server_time=utcnow(),
    )


def ticket(view: TicketView) -> s.TicketOut:
    return s.TicketOut(
        id=view.id, number=view.number, order_reference=view.order_reference, event_id=view.event_id,
        event_title=view.event_title, event_venue=view.event_venue, event_starts_at=view.event_starts_at,
        sport=view.sport, offer_type=view.offer_type, offer_title=view.offer_title, persons=view.persons,
        holder_name=view.holder_name, status=view.status, used_at=view.used_at, cancelled_at=view.cancelled_at,
        qr_png_url=f"{API_PREFIX}/tickets/{view.id}/qr.png", pdf_url=f"{API_PREFIX}/tickets/{view.id}/ticket.pdf",
    )


def order_summary(summary: OrderSummary) -> s.OrderSummaryOut:
    return s.OrderSummaryOut(
        reference=summary.reference, status=summary.status, total_cents=summary.total_cents,
        created_at=summary.created_at, paid_at=summary.paid_at, cancelled_at=summary.cancelled_at,
        packs=summary.packs, persons=summary.persons,
    )


def order_detail(detail: OrderDetail) -> s.OrderDetailOut:
    return s.OrderDetailOut(
        summary=order_summary(detail.summary),
        lines=[s.OrderLineOut(
            offer_id=line.offer_id, event_id=line.event_id, event_title=line.event_title,
            event_starts_at=line.event_starts_at, offer_type=line.offer_type, offer_title=line.offer_title,
            persons=line.persons, quantity=line.quantity, unit_price_cents=line.unit_price_cents,
            line_total_cents=line.line_total_cents,
        ) for line in detail.lines],
        tickets=[ticket(t) for t in detail.tickets],
        card_last4=detail.card_last4,
    )


def scan(result: ScanResult) -> s.ScanOut:
    return s.ScanOut(
        verdict=result.verdict.value, admitted=result.admitted, message=result.message,  # type: ignore[arg-type]
        reason=result.reason, ticket_id=result.ticket_id, ticket_number=result.ticket_number,
        persons=result.persons, event_title=result.event_title, holder_name=result.holder_name,
        used_at=result.used_at, used_gate=result.used_gate,
    )
