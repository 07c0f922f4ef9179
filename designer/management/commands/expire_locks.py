"""Free expired table locks and broadcast ``lock.expired`` (once each, however many sweepers run)."""

from __future__ import annotations

import logging
import time

from django.core.management.base import BaseCommand
from django.db import connection

from designer.realtime import sweeper

log = logging.getLogger("designer.realtime.sweeper")


class Command(BaseCommand):
    help = "Release table locks whose lease ran out and tell the project's viewers. --loop keeps sweeping."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--loop", action="store_true", help="Sweep forever (docker-compose's expirer service).")
        parser.add_argument("--interval", type=float, default=None, help="Seconds between sweeps (default 1).")
        parser.add_argument(
            "--sweeps", type=int, default=0, help="With --loop: stop after this many sweeps (default 0: never)."
        )

    def handle(self, *args, loop: bool = False, interval: float | None = None, sweeps: int = 0, **options) -> None:
        pause = interval if interval is not None else sweeper.interval()
        done = 0
        while True:
            if not loop:  # one sweep: an error is the command's failure (exit status 1)
                self.stdout.write(f"expired {sweeper.sweep_once()} lock(s)")
                return
            try:
                count = sweeper.sweep_once()
            except Exception:  # noqa: BLE001 - keep sweeping; the database may be back next time
                log.exception("lock expiry sweep failed")
                connection.close()  # the next sweep opens a fresh connection
            else:
                if count:
                    self.stdout.write(f"expired {count} lock(s)")
            done += 1
            if sweeps and done >= sweeps:
                return
            time.sleep(pause)
