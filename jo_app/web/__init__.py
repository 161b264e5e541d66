"""Web infrastructure shared by the Reflex states and the REST API (metrics, request ids, security headers...)."""
