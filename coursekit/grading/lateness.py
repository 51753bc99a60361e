"""How late a submission is, and what course_config.py's LatePolicy takes off for it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from coursekit.config import LatePolicy


@dataclass(frozen=True)
class Lateness:
    days: int  # started days late, after the grace period; 0 when on time
    penalty: float  # fraction of the score taken off

    def describe(self) -> str:
        if not self.days:
            return "on time"
        return f"{self.days} day{'s' * (self.days != 1)} late: -{self.penalty:.0%}"


def lateness(submitted: datetime | None, due: datetime, policy: LatePolicy) -> Lateness:
    """How late a submission is under `policy`; unknown times count as on time."""
    if submitted is None:
        return Lateness(0, 0.0)
    minutes = (submitted - due).total_seconds() / 60
    if minutes <= policy.grace_minutes:
        return Lateness(0, 0.0)
    days = math.ceil(minutes / (24 * 60))
    if days > policy.max_days_late:
        return Lateness(days, 1.0)
    return Lateness(days, min(1.0, days * policy.penalty_per_day))
