"""Statistics as pure functions over numpy arrays: no ORM, no Django."""
