"""Order states: cart, checkout, my orders, waiting room, hold sweep, admin orders and on-sales."""
