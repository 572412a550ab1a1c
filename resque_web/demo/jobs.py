"""Jobs the demo's workers run. They are registered under Ruby-style names, so the demo
looks like a real Rails shop's Resque: some are quick, some slow, some fail now and then."""

from __future__ import annotations

import random
import time

from ..registry import job


class UpstreamTimeout(Exception):
    """A flaky third party, as every real deployment has one."""


class CardDeclined(Exception):
    pass


@job("Archive")
class Archive:
    queue = "default"

    @staticmethod
    def perform(repo_id: int, kind: str = "tar") -> None:
        time.sleep(random.uniform(0.3, 2.0))


@job("Mailer::Deliver")
class Deliver:
    queue = "mailers"

    @staticmethod
    def perform(template: str, user_id: int) -> None:
        time.sleep(random.uniform(0.05, 0.4))
        if random.random() < 0.05:
            raise KeyError("user_id")


@job("Images::Resize")
class Resize:
    queue = "images.resize"

    @staticmethod
    def perform(image_id: int, width: int, height: int) -> None:
        time.sleep(random.uniform(0.2, 1.0))
        if width <= 0 or height <= 0:
            raise ZeroDivisionError("division by zero")


@job("Billing::Charge")
class Charge:
    queue = "critical"

    @staticmethod
    def perform(invoice_id: int, cents: int) -> None:
        time.sleep(random.uniform(0.1, 0.6))
        if random.random() < 0.2:
            raise CardDeclined(f"card declined (code=do_not_honor) for invoice {invoice_id}")


@job("Sync::Inventory")
class SyncInventory:
    queue = "default"

    @staticmethod
    def perform(store: str) -> None:
        time.sleep(random.uniform(0.5, 1.5))
        if random.random() < 0.3:
            raise UpstreamTimeout(f"GET https://inventory.example.com/{store} timed out after 30s")


@job("Reports::Nightly")
class NightlyReport:
    queue = "reports-nightly"

    @staticmethod
    def perform(day: str) -> None:
        time.sleep(random.uniform(4.0, 9.0))


def random_job(rng: random.Random) -> tuple[type, list[object]]:
    """One plausible job with plausible arguments."""
    kind = rng.choices(
        [Archive, Deliver, Resize, Charge, SyncInventory, NightlyReport], [4, 6, 3, 2, 2, 1]
    )[0]
    args: list[object]
    if kind is Archive:
        args = [rng.randint(1, 9999), rng.choice(["tar", "zip", "gz"])]
    elif kind is Deliver:
        args = [rng.choice(["welcome", "receipt", "password_reset"]), rng.randint(1, 50000)]
    elif kind is Resize:
        args = [rng.randint(1, 99999), rng.choice([0, 320, 640, 1280]), rng.choice([240, 480])]
    elif kind is Charge:
        args = [rng.randint(1000, 9999), rng.randint(100, 99999)]
    elif kind is SyncInventory:
        args = [rng.choice(["berlin", "lisbon", "osaka", "são-paulo"])]
    else:
        args = [f"2026-11-{rng.randint(1, 27):02d}"]
    return kind, args
