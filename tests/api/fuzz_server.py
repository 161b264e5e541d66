"""ASGI target for the schemathesis CLI run (tests/api/test_api_fuzz.py): the API stack exactly as in
production (`production_stack`), on the database of DATABASE_URL. Served by Granian in a subprocess."""

from tests.api.conftest import production_stack

app = production_stack()
