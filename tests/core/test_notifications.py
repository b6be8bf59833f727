import json
import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from werkzeug import Response

from incubateur.core import notifications
from incubateur.core.management.commands.db_worker import housekeeping
from incubateur.core.models import Notification, NotificationStatus
from tests.utils import SMTPServer, fast_forward, run_tasks


def _notify(**kwargs):
    params = dict(
        kind="test", subject="Objet du test", body="Corps du message", emails=["pierre.boussole@beta.gouv.fr"]
    )
    params.update(kwargs)
    with transaction.atomic():
        return notifications.notify(**params)


@pytest.mark.django_db(transaction=True)
def test_notify_refuses_to_run_outside_a_transaction():
    with pytest.raises(RuntimeError):
        notifications.notify(kind="test", subject="x", body="y", emails=["a@example.org"])


def test_a_rolled_back_change_notifies_nobody():
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        notifications.notify(kind="test", subject="x", body="y", emails=["a@example.org"])
        raise ZeroDivisionError
    assert Notification.objects.count() == 0
    assert DBTaskResult.objects.count() == 0


def test_the_delivery_task_commits_with_the_notification():
    [notification] = _notify()
    task = DBTaskResult.objects.get()
    assert task.args_kwargs["args"] == [notification.pk]
    assert notification.status == NotificationStatus.PENDING


def test_email_is_delivered_to_a_real_smtp_server_once(smtp_server):
    [notification] = _notify(emails=["pierre.boussole@beta.gouv.fr", "Pierre.Boussole@beta.gouv.fr ", ""])
    assert Notification.objects.count() == 1  # one e-mail per address, whatever its case; blanks dropped
    assert run_tasks() == 1
    [first] = smtp_server.messages
    assert first["To"] == "pierre.boussole@beta.gouv.fr"
    assert first["Subject"] == "Objet du test"
    assert first.get_content().strip() == "Corps du message"
    assert first["Auto-Submitted"] == "auto-generated"
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert notification.attempts == 1
    assert notification.sent_at is not None

    # The task runs again (a worker died after sending, before recording it): nothing is sent twice.
    notifications.enqueue_delivery(notification)
    assert notifications.deliver(notification.pk) == "not-due"
    run_tasks()
    assert len(smtp_server.messages) == 1


def test_a_notification_survives_an_smtp_server_that_is_down_for_its_first_attempts(smtp_port):
    [notification] = _notify()
    run_tasks()  # nobody listens on the port
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.PENDING
    assert notification.attempts == 1
    assert "ConnectionRefusedError" in notification.last_error
    delay = (notification.next_attempt_at - timezone.now()).total_seconds()
    assert 20 < delay <= 36  # 30 s ± 20 % jitter
    retry = DBTaskResult.objects.ready().count()
    assert retry == 0  # the retry waits for its time

    fast_forward()
    run_tasks()  # still down: second attempt, backoff doubles
    notification.refresh_from_db()
    assert notification.attempts == 2
    assert 45 < (notification.next_attempt_at - timezone.now()).total_seconds() <= 72

    server = SMTPServer(port=smtp_port).start()
    try:
        fast_forward()
        run_tasks()
        notification.refresh_from_db()
        assert notification.status == NotificationStatus.SENT
        assert notification.attempts == 3
        assert len(server.messages) == 1
        fast_forward()
        assert run_tasks() == 0
        assert len(server.messages) == 1
    finally:
        server.stop()


@pytest.mark.parametrize("reply", ["421 Service not available, closing channel", "451 Requested action aborted"])
def test_temporary_smtp_refusals_are_retried(smtp_server, reply):
    smtp_server.handler.reply = reply
    [notification] = _notify()
    run_tasks()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.PENDING
    assert reply[:3] in notification.last_error
    smtp_server.handler.reply = None
    fast_forward()
    run_tasks()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert len(smtp_server.messages) == 1


def test_after_the_last_attempt_the_notification_is_failed_and_listed_for_staff(smtp_port, settings, client):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    [notification] = _notify()
    for _ in range(5):
        run_tasks()
        fast_forward()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED
    assert notification.attempts == 3
    assert DBTaskResult.objects.ready().count() == 0

    from tests.factories import UserFactory

    staff = UserFactory(staff=True)
    client.force_login(staff)
    page = client.get("/equipe/notifications/").content.decode()
    assert "pierre.boussole@beta.gouv.fr" in page
    assert "ConnectionRefusedError" in page
    assert "Renvoyer maintenant" in page

    # "Retry now": one more attempt, journaled; this time the server is up.
    server = SMTPServer(port=smtp_port).start()
    try:
        response = client.post(f"/equipe/notifications/{notification.pk}/renvoyer/")
        assert response.status_code == 302
        run_tasks()
        notification.refresh_from_db()
        assert notification.status == NotificationStatus.SENT
        assert len(server.messages) == 1
    finally:
        server.stop()
    from incubateur.core.models import JournalEntry

    entry = JournalEntry.objects.get(action="notification.retry")
    assert entry.actor == staff
    assert entry.visibility == "internal"


def test_retry_now_on_a_failed_notification_fails_again_after_one_attempt(smtp_port, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    [notification] = _notify()
    for _ in range(3):
        run_tasks()
        fast_forward()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED
    with transaction.atomic():
        notifications.retry_now(notification)
    run_tasks()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED
    assert notification.attempts == 2


def test_a_sensitive_notification_is_erased_once_sent(smtp_server):
    [notification] = _notify(body="Votre lien secret : https://exemple/abc", sensitive=True)
    run_tasks()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert notification.body == notifications.ERASED_BODY
    assert "https://exemple/abc" in smtp_server.messages[0].get_content()


def test_an_expired_notification_is_not_sent(smtp_port):
    [notification] = _notify(sensitive=True, expires_at=timezone.now() + timedelta(seconds=60))
    run_tasks()  # server down
    Notification.objects.filter(pk=notification.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    server = SMTPServer(port=smtp_port).start()
    try:
        fast_forward()
        run_tasks()
    finally:
        server.stop()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.EXPIRED
    assert notification.body == notifications.ERASED_BODY
    assert server.messages == []


def test_mattermost_posts_json_to_the_webhook(mattermost):
    mattermost.expect_oneshot_request("/hooks/incubateur", method="POST").respond_with_data("ok")
    _notify(emails=[], mattermost_channel="incubateur-animation", mattermost_text="Nouvelle demande")
    run_tasks()
    mattermost.check_assertions()
    [(request, _response)] = mattermost.log
    assert json.loads(request.data) == {"text": "Nouvelle demande", "channel": "incubateur-animation"}
    assert request.headers["Content-Type"] == "application/json"
    assert Notification.objects.get().status == NotificationStatus.SENT


def test_no_mattermost_notification_without_a_webhook(settings):
    settings.MATTERMOST_WEBHOOK_URL = ""
    assert _notify(emails=[], mattermost_channel="incubateur-animation") == []


@pytest.mark.parametrize("status", [500, 429])
def test_mattermost_errors_are_retried_until_it_answers(mattermost, status):
    mattermost.expect_oneshot_request("/hooks/incubateur").respond_with_data("busy", status=status)
    mattermost.expect_oneshot_request("/hooks/incubateur").respond_with_data("ok")
    [notification] = _notify(emails=[], mattermost_channel="incubateur-animation")
    run_tasks()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.PENDING
    assert f"Mattermost a répondu {status}" in notification.last_error
    fast_forward()
    run_tasks()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert len(mattermost.log) == 2


def test_a_mattermost_timeout_is_retried(mattermost, settings):
    settings.MATTERMOST_TIMEOUT = 0.3

    def slow(request):
        time.sleep(1)
        return Response("late")

    mattermost.expect_oneshot_request("/hooks/incubateur").respond_with_handler(slow)
    [notification] = _notify(emails=[], mattermost_channel="incubateur-animation")
    run_tasks()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.PENDING
    assert "timed out" in notification.last_error.lower()


def test_a_delivery_claimed_by_a_worker_that_died_is_swept_and_delivered_once(smtp_server, settings):
    [notification] = _notify()
    DBTaskResult.objects.all().delete()  # the task was lost with its worker
    claimed = timezone.now() - timedelta(seconds=settings.NOTIFICATION_CLAIM_TIMEOUT + 1)
    Notification.objects.filter(pk=notification.pk).update(
        status=NotificationStatus.SENDING, claimed_at=claimed, attempts=1
    )
    housekeeping("worker-1")
    run_tasks()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert len(smtp_server.messages) == 1


def test_a_recent_claim_is_not_taken_from_its_worker(smtp_server):
    [notification] = _notify()
    Notification.objects.filter(pk=notification.pk).update(
        status=NotificationStatus.SENDING, claimed_at=timezone.now()
    )
    assert notifications.deliver(notification.pk) == "not-due"
    assert notifications.sweep() == 0
    assert smtp_server.messages == []


def test_the_sweep_requeues_a_pending_notification_whose_task_was_lost(smtp_server):
    [notification] = _notify()
    DBTaskResult.objects.all().delete()
    assert notifications.sweep() == 0  # just due: its own task is expected to run
    Notification.objects.filter(pk=notification.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=5))
    assert notifications.sweep() == 1
    run_tasks()
    assert len(smtp_server.messages) == 1


@pytest.mark.parametrize(
    "attempts,low,high", [(1, 24, 36), (2, 48, 72), (5, 384, 576), (8, 2880, 4320), (20, 2880, 4320)]
)
def test_backoff_is_exponential_with_jitter_and_capped(attempts, low, high):
    for _ in range(50):
        assert low <= notifications.backoff_delay(attempts) <= high
