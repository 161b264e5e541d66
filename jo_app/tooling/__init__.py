"""Developer and demo tooling, not domain rules: the demo catalogue and accounts, generated sport artwork (CLI)."""
