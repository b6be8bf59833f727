import pytest
from django.db import transaction

from incubateur.core import journal
from incubateur.core.models import JournalEntry, Visibility
from tests.factories import UserFactory


def _record(visibility, message="Action", actor=None, obj=None):
    with transaction.atomic():
        return journal.record(actor=actor, action="test.action", message=message, visibility=visibility, obj=obj)


@pytest.mark.django_db(transaction=True)
def test_record_refuses_to_run_outside_the_transaction_of_its_change():
    with pytest.raises(RuntimeError):
        journal.record(actor=None, action="x", message="x", visibility=Visibility.PUBLIC)
    assert JournalEntry.objects.count() == 0


def test_record_keeps_who_what_which_object_and_visibility():
    actor = UserFactory()
    target = UserFactory(first_name="Eline", last_name="Le Brizec")
    entry = _record(Visibility.INTERNAL, message="Compte modifié", actor=actor, obj=target)
    entry.refresh_from_db()
    assert entry.actor == actor
    assert entry.object_id == str(target.pk)
    assert entry.object_repr == "Eline Le Brizec"
    assert entry.visibility == "internal"
    assert list(JournalEntry.objects.about(target)) == [entry]


def test_an_unknown_visibility_is_refused():
    with pytest.raises(ValueError):
        _record("secret")


def test_journal_for_user_by_role():
    public = _record(Visibility.PUBLIC)
    internal = _record(Visibility.INTERNAL)
    target = UserFactory()
    confidential = _record(Visibility.CONFIDENTIAL, obj=target)
    assert set(JournalEntry.objects.for_user(UserFactory())) == {public}
    assert set(JournalEntry.objects.for_user(UserFactory(staff=True))) == {public, internal}
    # Confidential rows are read only through their object: administrators do not list them either.
    assert set(JournalEntry.objects.for_user(UserFactory(admin=True))) == {public, internal}
    assert list(JournalEntry.objects.about(target)) == [confidential]


def test_staff_journal_page_lists_internal_rows_but_not_confidential_ones(client):
    _record(Visibility.INTERNAL, message="Décision interne")
    _record(Visibility.CONFIDENTIAL, message="Signalement confidentiel")
    client.force_login(UserFactory(staff=True))
    html = client.get("/equipe/journal/").content.decode()
    assert "Décision interne" in html
    assert "Signalement confidentiel" not in html
    assert "Signalement confidentiel" not in client.get("/equipe/journal/?visibilite=confidential").content.decode()


def test_journal_page_is_paginated_with_a_flat_query_count(client, django_assert_num_queries):
    client.force_login(UserFactory(staff=True))
    _record(Visibility.INTERNAL)
    client.get("/equipe/journal/")  # warm the session and content types
    with django_assert_num_queries(4) as first:
        client.get("/equipe/journal/")
    for i in range(120):
        _record(Visibility.INTERNAL, message=f"Action {i}", actor=UserFactory())
    with django_assert_num_queries(len(first.captured_queries)):
        html = client.get("/equipe/journal/?page=2").content.decode()
    assert "2 / 3" in html


def test_journal_page_has_an_empty_state(client):
    client.force_login(UserFactory(staff=True))
    assert "Aucune action n'a encore été enregistrée" in client.get("/equipe/journal/").content.decode()
