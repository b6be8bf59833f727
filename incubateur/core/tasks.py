"""Kept for task rows queued before the task moved to `core.notifications` (they name this path).

Remove after one release: by then every such row has run, and `notifications.sweep()` re-queues any row left behind
under the new path.
"""

from incubateur.core.notifications import deliver_notification

__all__ = ["deliver_notification"]
