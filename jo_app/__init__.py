"""JO E-Tickets: e-ticketing for the Olympic Games."""
