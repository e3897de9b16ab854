"""``manage.py recognize_pending``: finish the readings a dead worker left pending."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from web.ocr.services import pending_recover


class Command(BaseCommand):
    help = (
        "Recognize again the posted images left 'pending' (their worker died "
        "mid-recognition). Run it after a restart, or from cron."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=float,
            default=5.0,
            metavar="MINUTES",
            help="only rows pending for longer than this (default 5 minutes)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        minutes = options["older_than"]
        if minutes < 0:
            raise CommandError("--older-than must be ≥ 0", returncode=2)
        rows = pending_recover(older_than=timedelta(minutes=minutes))
        for row in rows:
            self.stdout.write(f"image {row.pk}: {row.status} {row.latex or row.reason}")
        self.stdout.write(f"{len(rows)} pending image(s) recognized again")
