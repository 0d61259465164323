"""Check-ins: planning them, the book that finds them by time, and dispatching them."""
