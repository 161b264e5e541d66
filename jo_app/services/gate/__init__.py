"""Gate: admission of scanned or typed tickets, the gate's statements, schedule and reports."""
