"""Running it: logs that carry no user text or raw ids, and Prometheus metrics."""
