"""Free expired table locks and broadcast ``lock.expired`` (once each, however many sweepers run)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from designer.realtime import sweeper


class Command(BaseCommand):
    help = "Release table locks whose lease ran out and tell the project's viewers. --loop keeps sweeping."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--loop", action="store_true", help="Sweep forever (docker-compose's expirer service).")
        parser.add_argument("--interval", type=float, default=None, help="Seconds between sweeps (default 1).")

    def handle(self, *args, loop: bool = False, interval: float | None = None, **options) -> None:
        pause = interval if interval is not None else sweeper.interval()
        while True:
            count = sweeper.sweep_once()
            if count or not loop:
                self.stdout.write(f"expired {count} lock(s)")
            if not loop:
                return
            time.sleep(pause)
