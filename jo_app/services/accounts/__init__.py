"""Accounts: registration, e-mail codes, login and its throttling, sessions, two-factor, GDPR rights."""
