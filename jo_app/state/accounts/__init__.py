"""Account states: login, sign-up and codes, the account page, two-factor, admin users."""
