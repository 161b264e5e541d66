"""Order pages: cart and checkout, my orders and tickets, waiting room, admin orders and on-sales."""
