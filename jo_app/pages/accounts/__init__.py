"""Account pages: login, sign-up and verification, the account page and two-factor, admin users."""
