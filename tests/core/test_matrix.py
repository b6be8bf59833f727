"""The outbox's Matrix (Tchap) channel, against a real HTTP peer that behaves like a homeserver: it answers
`PUT /_matrix/client/v3/rooms/{room}/send/m.room.message/{txnId}`, checks the bearer token and keeps one event per
transaction id (a retried PUT with the same txnId is accepted once, as the client-server API specifies)."""

import json
import re
import time
import urllib.parse

import pytest
from django.db import transaction
from werkzeug import Request, Response

from incubateur.core import notifications
from incubateur.core.models import Notification, NotificationChannel, NotificationStatus
from tests.utils import fast_forward, run_tasks

TOKEN = "syt_test_token"
SEND = re.compile(r"^/_matrix/client/v3/rooms/(?P<room>[^/]+)/send/m\.room\.message/(?P<txn>[^/]+)$")


class MatrixPeer:
    """A homeserver's send endpoint: `events` holds one message per transaction id, `requests` every PUT."""

    def __init__(self, httpserver, *, fail_first: int = 0, lose_first_answers: int = 0):
        self.server = httpserver
        self.events: dict[tuple[str, str], dict] = {}
        self.requests: list[tuple[str, str]] = []
        self.fail_first = fail_first
        self.lose_first_answers = lose_first_answers
        httpserver.expect_request(SEND, method="PUT").respond_with_handler(self.handle)

    def handle(self, request: Request) -> Response:
        match = SEND.match(request.path)
        room, txn = urllib.parse.unquote(match["room"]), urllib.parse.unquote(match["txn"])
        self.requests.append((room, txn))
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return Response(json.dumps({"errcode": "M_UNKNOWN_TOKEN"}), status=401)
        if self.fail_first:
            self.fail_first -= 1
            return Response(json.dumps({"errcode": "M_LIMIT_EXCEEDED"}), status=429)
        if (room, txn) not in self.events:  # the same txnId again: the same event, not a second message
            self.events[(room, txn)] = json.loads(request.data)
        answer = Response(json.dumps({"event_id": f"$event-{txn}"}), content_type="application/json")
        if self.lose_first_answers:
            self.lose_first_answers -= 1
            time.sleep(0.6)  # the client gives up first: the message is in, the answer is lost
        return answer

    @property
    def messages(self) -> list[str]:
        return [event["body"] for event in self.events.values()]


@pytest.fixture
def matrix_settings(settings, httpserver):
    settings.MATRIX_HOMESERVER_URL = httpserver.url_for("/")
    settings.MATRIX_ACCESS_TOKEN = TOKEN
    settings.MATRIX_TIMEOUT = 3
    return settings


def _notify(**kwargs):
    params = dict(kind="test", subject="Objet", body="Corps", matrix_room="!recrutement:tchap.example")
    params.update(kwargs)
    with transaction.atomic():
        return notifications.notify(**params)


def test_a_message_is_put_in_the_room_with_the_row_s_transaction_id(matrix_settings, httpserver):
    peer = MatrixPeer(httpserver)
    [row] = _notify(matrix_text="Nouveau poste : développeuse")
    assert row.channel == NotificationChannel.MATRIX
    run_tasks()
    assert peer.requests == [("!recrutement:tchap.example", f"incubateur-notification-{row.pk}")]
    assert peer.messages == ["Nouveau poste : développeuse"]
    [(request, _response)] = httpserver.log
    assert json.loads(request.data) == {"msgtype": "m.text", "body": "Nouveau poste : développeuse"}
    row.refresh_from_db()
    assert row.status == NotificationStatus.SENT


def test_a_retry_after_a_lost_answer_sends_the_same_transaction_id_and_one_message(matrix_settings, httpserver):
    matrix_settings.MATRIX_TIMEOUT = 0.3
    peer = MatrixPeer(httpserver, lose_first_answers=1)
    [row] = _notify()
    run_tasks()
    row.refresh_from_db()
    assert row.status == NotificationStatus.PENDING  # timed out: the worker does not know it was delivered
    time.sleep(0.5)  # the peer (one thread) finishes the first answer
    fast_forward()
    run_tasks()
    row.refresh_from_db()
    assert row.status == NotificationStatus.SENT
    assert len(peer.requests) == 2
    assert len({txn for _room, txn in peer.requests}) == 1
    assert peer.messages == ["Objet"]  # accepted once


def test_errors_are_retried_until_the_homeserver_answers(matrix_settings, httpserver):
    peer = MatrixPeer(httpserver, fail_first=1)
    [row] = _notify()
    run_tasks()
    row.refresh_from_db()
    assert row.status == NotificationStatus.PENDING
    assert "Matrix a répondu 429" in row.last_error
    fast_forward()
    run_tasks()
    row.refresh_from_db()
    assert row.status == NotificationStatus.SENT
    assert len(peer.messages) == 1


def test_a_wrong_token_is_a_failure_not_a_delivery(matrix_settings, httpserver):
    peer = MatrixPeer(httpserver)
    [row] = _notify()
    matrix_settings.MATRIX_ACCESS_TOKEN = "wrong"
    run_tasks()
    row.refresh_from_db()
    assert row.status == NotificationStatus.PENDING
    assert "Matrix a répondu 401" in row.last_error
    assert peer.messages == []


def test_no_matrix_row_without_a_homeserver_or_a_token(settings):
    settings.MATRIX_HOMESERVER_URL = ""
    settings.MATRIX_ACCESS_TOKEN = TOKEN
    assert _notify() == []
    settings.MATRIX_HOMESERVER_URL = "https://matrix.example"
    settings.MATRIX_ACCESS_TOKEN = ""
    assert _notify() == []
    assert Notification.objects.count() == 0


def test_a_confidential_notification_never_goes_to_matrix(matrix_settings):
    with pytest.raises(ValueError):
        _notify(confidential=True)
