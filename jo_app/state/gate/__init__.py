"""Gate states: the employee gate page, manual entry, verdict display, live counters."""
