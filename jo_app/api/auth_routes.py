"""HTTP routes that set and clear the HttpOnly session cookie (login hand-off, logout)."""

from fastapi import APIRouter

router = APIRouter()
