"""Named holders: owner only, valid tickets only, until the cut-off; the PDF shows the name."""

from __future__ import annotations

import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlmodel import Session

from jo_app.models import AuditLog, TicketStatus
from jo_app.services.errors import ConflictError, NotFoundError, ValidationError
from jo_app.services.tickets import holders
from jo_app.services.tickets import render as ticket_render
from tests.services.tickets.ownership_world import build, fresh


def test_owner_names_each_ticket_and_the_pdf_prints_it(session: Session, tmp_path) -> None:
    world = build(session)
    family, duo = world.tickets
    result = holders.set_holder(session, world.buyer.id, family.id, "  Marie ", "Curie-Skłodowska")
    assert result.full_name == "Marie Curie-Skłodowska"
    holders.set_holder(session, world.buyer.id, duo.id, "Pierre", "Curie")
    assert fresh(session, family.id).holder_name == "Marie Curie-Skłodowska"
    assert (fresh(session, family.id).holder_first_name, fresh(session, family.id).holder_last_name) == (
        "Marie", "Curie-Skłodowska")
    assert fresh(session, duo.id).holder_name == "Pierre Curie"
    pdf = tmp_path / "t.pdf"
    pdf.write_bytes(ticket_render.cached_ticket_pdf(session, family.id))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Marie Curie-Skłodowska" in text
    actions = session.execute(select(AuditLog.action).where(AuditLog.action == "ticket.holder_set")).all()
    assert len(actions) == 2


def test_someone_elses_ticket_is_not_found(session: Session) -> None:
    world = build(session)
    with pytest.raises(NotFoundError):
        holders.set_holder(session, world.stranger.id, world.tickets[0].id, "Eve", "Evil")
    assert fresh(session, world.tickets[0].id).holder_name == "Ada Lovelace"


@pytest.mark.parametrize("first,last", [("", "Curie"), ("Marie", " "), ("M" * 51, "Curie"), ("123", "Curie"),
                                        ("Ma\x00rie", "Curie")])
def test_bad_names_are_refused(session: Session, first: str, last: str) -> None:
    world = build(session)
    with pytest.raises(ValidationError):
        holders.set_holder(session, world.buyer.id, world.tickets[0].id, first, last)


def test_no_change_after_the_cutoff_or_on_a_used_ticket(session: Session) -> None:
    world = build(session, starts_in=timedelta(hours=1))  # cut-off: 2 h before
    with pytest.raises(ConflictError) as late:
        holders.set_holder(session, world.buyer.id, world.tickets[0].id, "Marie", "Curie")
    assert late.value.code == "cutoff_passed"
    world2 = build(session)
    ticket = fresh(session, world2.tickets[0].id)
    ticket.status = TicketStatus.USED.value
    session.add(ticket)
    session.commit()
    with pytest.raises(ConflictError) as used:
        holders.set_holder(session, world2.buyer.id, ticket.id, "Marie", "Curie")
    assert used.value.code == "ticket_not_valid"
