"""Orders: cart, seat holds, checkout, orders and refunds, queued on-sales and the waiting room."""
