"""Domain services: plain Python over SQLModel sessions, no Reflex import (unit-testable, shared by UI, API, CLI)."""
