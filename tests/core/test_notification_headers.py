"""E-mail headers carried by outbox rows (#18): stored with the row, sent on the wire over the defaults, per
recipient when asked; the outbox's own headers cannot be overridden."""

import pytest
from django.db import transaction

from incubateur.core import notifications
from incubateur.core.models import Notification
from tests.utils import run_tasks


def test_headers_are_stored_per_recipient_and_sent_over_the_defaults(smtp_server):
    with transaction.atomic():
        rows = notifications.notify(
            kind="test.headers",
            subject="Objet",
            body="Corps",
            emails=["a@exemple.org", "b@exemple.org"],
            headers={"Auto-Submitted": "auto-replied", "In-Reply-To": "<x@exemple.org>"},
            headers_for=lambda address: {"Reply-To": f"guichet+{address.partition('@')[0]}@incubateur.test"},
        )
    assert [r.headers["Reply-To"] for r in rows] == ["guichet+a@incubateur.test", "guichet+b@incubateur.test"]
    run_tasks()
    sent = {m["To"]: m for m in smtp_server.messages}
    assert sent["a@exemple.org"]["Reply-To"] == "guichet+a@incubateur.test"
    assert sent["b@exemple.org"]["Reply-To"] == "guichet+b@incubateur.test"
    assert sent["a@exemple.org"]["Auto-Submitted"] == "auto-replied"  # over the default « auto-generated »
    assert sent["a@exemple.org"]["In-Reply-To"] == "<x@exemple.org>"
    assert sent["a@exemple.org"]["X-Incubateur-Notification"] == str(rows[0].pk)


def test_without_headers_a_mail_keeps_the_defaults(smtp_server):
    with transaction.atomic():
        [row] = notifications.notify(kind="test.headers", subject="Objet", body="Corps", emails=["a@exemple.org"])
    assert row.headers == {}
    run_tasks()
    [mail] = smtp_server.messages
    assert mail["Auto-Submitted"] == "auto-generated" and mail["Reply-To"] is None


@pytest.mark.parametrize(
    "headers",
    [
        {"To": "x@evil.test"},
        {"Bcc": "x@evil.test"},
        {"X-Incubateur-Notification": "1"},
        {"Reply-To": "a@b\r\nBcc: c@d"},
    ],
)
@pytest.mark.django_db
def test_the_outbox_headers_and_line_breaks_are_refused(headers):
    with pytest.raises(ValueError), transaction.atomic():
        notifications.notify(
            kind="test.headers", subject="Objet", body="Corps", emails=["a@exemple.org"], headers=headers
        )
    assert not Notification.objects.exists()
