"""Read a live database back into a snapshot (``postgresql.introspect``), and compare by names (``compare``)."""
