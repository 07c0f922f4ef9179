"""Reading a live database back into a snapshot (drift detection, convergence checks, live import)."""
