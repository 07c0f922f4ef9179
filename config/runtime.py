"""Process-level tuning shared by the ASGI server and the benchmarks that stand in for it."""

import gc

#: Allocations between young-generation collections (CPython's default is 700). Rendering a 1,000-table diagram
#: allocates a few hundred thousand short-lived objects; with the default, each of those collections (and the
#: older-generation ones they trigger) walks ever more live objects, so the page grows faster than the design.
GC_GEN0_THRESHOLD = 20_000


def tune_gc() -> None:
    """Call once the app is loaded: what exists now lives as long as the process, so the collector stops
    re-scanning it (``gc.freeze``), and young collections run less often."""
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GC_GEN0_THRESHOLD, gen1, gen2)
