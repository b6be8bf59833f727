"""The worker's periodic chores for the community (WORKER_HOUSEKEEPING_HOOKS)."""


def tick() -> None:
    """Run what is due: reminders before and after the end of missions, monthly summaries, review escalations."""
