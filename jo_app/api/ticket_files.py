"""HTTP routes serving a ticket's PDF, QR image and calendar file to its owner (session cookie)."""

from fastapi import APIRouter

router = APIRouter()
