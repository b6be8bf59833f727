"""The token lookup of every request with `Authorization: Bearer` (`accounts.api_auth.find_usable_token`): the ORM's
query compiled once per connection, the same rows as the ORM gives, one query, and a revoked token or a deactivated
account refused at once."""

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incubateur.accounts import api_auth
from incubateur.accounts.api_auth import api_token_issue, api_tokens_revoke_for, authenticate, find_usable_token
from incubateur.accounts.models import ApiToken
from tests.factories import UserFactory


def orm(secret: str) -> ApiToken | None:
    return ApiToken.objects.usable().select_related("user").filter(token_hash=ApiToken.hash(secret)).first()


def values(obj) -> dict:
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


def test_the_same_token_and_account_as_the_orm_in_one_query():
    user = UserFactory(is_incubator_staff=True)
    user.last_login = timezone.now() - timedelta(days=2)
    user.save()
    _, secret = api_token_issue(user=user, name="tests")
    ApiToken.objects.update(last_used_at=timezone.now() - timedelta(hours=1))
    with CaptureQueriesContext(connection) as ctx:
        found = find_usable_token(ApiToken.hash(secret))
        assert found.user.email == user.email  # the account came with the token
    assert len(ctx.captured_queries) == 1
    sql = ctx.captured_queries[0]["sql"]
    assert "accounts_apitoken" in sql and "accounts_user" in sql and "token_hash" in sql
    expected = orm(secret)
    assert values(found) == values(expected)
    assert values(found.user) == values(expected.user)
    assert timezone.is_aware(found.created_at) and timezone.is_aware(found.user.date_joined)
    assert found.user.is_active is True and found.user.is_incubator_staff is True
    assert found._state.db == "default" and not found._state.adding
    found.name = "renommé"
    found.save(update_fields=["name"])  # a real row: it saves
    assert ApiToken.objects.get(pk=found.pk).name == "renommé"


def test_an_unknown_hash_is_none():
    assert find_usable_token(ApiToken.hash("isn_inconnu")) is None
    assert authenticate("") is None


def test_a_revoked_token_and_a_deactivated_account_are_refused_at_once():
    user = UserFactory()
    _, secret = api_token_issue(user=user)
    assert authenticate(secret) is not None  # the lookup compiled and used
    api_tokens_revoke_for(user=user)
    assert authenticate(secret) is None
    assert orm(secret) is None

    other = UserFactory()
    _, second = api_token_issue(user=other)
    assert authenticate(second) is not None
    other.is_active = False
    other.save()
    assert authenticate(second) is None


def test_last_used_at_is_written_at_most_once_a_minute():
    _, secret = api_token_issue(user=UserFactory())
    with CaptureQueriesContext(connection) as ctx:
        first = authenticate(secret)
    assert [q["sql"].split()[0] for q in ctx.captured_queries] == ["SELECT", "UPDATE"]
    with CaptureQueriesContext(connection) as ctx:
        again = authenticate(secret)
    assert len(ctx.captured_queries) == 1
    assert again.last_used_at == ApiToken.objects.get(pk=first.pk).last_used_at


@pytest.mark.django_db(transaction=True)
def test_each_thread_uses_its_own_connection():
    _, secret = api_token_issue(user=UserFactory())
    assert authenticate(secret) is not None
    here = api_auth._lookups.lookup
    found = []

    def look():
        try:
            found.append(authenticate(secret))
            found.append(api_auth._lookups.lookup)
        finally:
            close_old_connections()

    thread = threading.Thread(target=look)
    thread.start()
    thread.join()
    token, lookup = found
    assert token is not None and token.user.pk is not None
    assert lookup is not here and lookup.connection is not here.connection


def test_the_lookup_reads_the_token_by_its_unique_index():
    user = UserFactory()
    ApiToken.objects.bulk_create(ApiToken(user=user, token_hash=ApiToken.hash(f"isn_{i}")) for i in range(2000))
    find_usable_token(ApiToken.hash("isn_1"))
    lookup = api_auth._lookups.lookup
    params = [ApiToken.hash("isn_1") if p == lookup.SENTINEL else p for p in lookup.params]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE accounts_apitoken")
            cursor.execute(f"EXPLAIN {lookup.sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "Index Scan using accounts_apitoken_token_hash" in plan, plan
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {lookup.sql}", params)
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
            assert "SEARCH accounts_apitoken USING INDEX" in plan and "(token_hash=?)" in plan, plan
    assert "ORDER BY" not in lookup.sql
