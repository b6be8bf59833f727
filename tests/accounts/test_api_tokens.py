"""API tokens: issue_api_token / revoke_api_token, the admin's revoke action, bearer authentication."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from incubateur.accounts.api_auth import (
    ANONYMOUS,
    api_token_issue,
    api_token_revoke_secret,
    api_tokens_revoke,
    api_tokens_revoke_for,
    authenticate,
)
from incubateur.accounts.models import ApiToken
from incubateur.core.models import JournalEntry
from tests.factories import UserFactory


def issue(*args) -> list[str]:
    out = StringIO()
    call_command("issue_api_token", *args, stdout=out)
    return out.getvalue().splitlines()


def revoke(*args) -> str:
    out = StringIO()
    call_command("revoke_api_token", *args, stdout=out)
    return out.getvalue()


# --- issue_api_token ---------------------------------------------------------------------------------


def test_issue_prints_the_token_on_its_last_line_and_stores_only_its_hash():
    user = UserFactory(email="camille.martin@beta.gouv.fr")
    lines = issue("Camille.Martin@Beta.gouv.fr", "--name", "tableau de bord")
    secret = lines[-1]
    assert secret.startswith("isn_") and len(secret) >= 40
    token = ApiToken.objects.get()
    assert token.user == user
    assert token.name == "tableau de bord"
    assert token.token_hash == ApiToken.hash(secret)
    assert secret not in token.token_hash
    assert "camille.martin@beta.gouv.fr" in lines[0]
    assert authenticate(secret) == token
    entry = JournalEntry.objects.get(action="accounts.api_token_issued")
    assert entry.data == {"token": token.pk}
    assert secret not in entry.message and secret not in str(entry.data)


def test_each_token_is_new_and_can_be_given_on_the_command_line():
    user = UserFactory(email="camille.martin@beta.gouv.fr")
    secrets = {api_token_issue(user=user)[1] for _ in range(100)}
    assert len(secrets) == 100
    assert not any(secret.startswith("-") for secret in secrets)  # argparse would take it for an option


def test_issue_for_an_unknown_address():
    with pytest.raises(CommandError, match="Aucun compte avec l'adresse personne@example.org"):
        issue("personne@example.org")
    assert not ApiToken.objects.exists()


def test_issue_for_a_deactivated_account():
    UserFactory(email="parti@beta.gouv.fr", inactive=True)
    with pytest.raises(CommandError, match="désactivé"):
        issue("parti@beta.gouv.fr")
    assert not ApiToken.objects.exists()


# --- revoke_api_token --------------------------------------------------------------------------------


def test_revoke_one_token():
    user = UserFactory()
    kept, _ = api_token_issue(user=user, name="garde")
    _, secret = api_token_issue(user=user, name="révoque")
    assert revoke(secret).strip() == "Jeton révoqué."
    assert authenticate(secret) is None
    kept.refresh_from_db()
    assert kept.revoked_at is None
    assert ApiToken.objects.get(name="révoque").revoked_at is not None
    assert JournalEntry.objects.filter(action="accounts.api_token_revoked").count() == 1


def test_revoke_an_unknown_or_already_revoked_token():
    _, secret = api_token_issue(user=UserFactory())
    revoke(secret)
    with pytest.raises(CommandError, match="Aucun jeton actif"):
        revoke(secret)
    with pytest.raises(CommandError, match="Aucun jeton actif"):
        revoke("inconnu")


def test_revoke_every_token_of_an_account():
    user, other = UserFactory(email="camille.martin@beta.gouv.fr"), UserFactory()
    secrets = [api_token_issue(user=user)[1] for _ in range(3)]
    _, other_secret = api_token_issue(user=other)
    assert "3 jetons révoqués pour camille.martin@beta.gouv.fr" in revoke("Camille.Martin@beta.gouv.fr", "--all")
    assert all(authenticate(s) is None for s in secrets)
    assert authenticate(other_secret) is not None
    assert "0 jeton révoqué" in revoke("camille.martin@beta.gouv.fr", "--all")


def test_an_address_without_all_is_refused():
    user = UserFactory(email="camille.martin@beta.gouv.fr")
    _, secret = api_token_issue(user=user)
    with pytest.raises(CommandError, match="--all"):
        revoke("camille.martin@beta.gouv.fr")
    assert authenticate(secret) is not None
    with pytest.raises(CommandError, match="Aucun compte"):
        revoke("personne@example.org", "--all")


# --- The helpers -------------------------------------------------------------------------------------


def test_authenticate():
    user = UserFactory()
    token, secret = api_token_issue(user=user, name="  espacé  ")
    assert token.name == "espacé"
    assert authenticate("") is None
    assert authenticate(secret + "x") is None
    assert authenticate(secret) == token
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_revoke_keeps_the_first_revocation_date():
    token, _ = api_token_issue(user=UserFactory())
    api_tokens_revoke(tokens=ApiToken.objects.all())
    token.refresh_from_db()
    first = token.revoked_at
    assert api_tokens_revoke(tokens=ApiToken.objects.all()) == 0
    assert api_token_revoke_secret(secret="inconnu") == 0
    assert api_tokens_revoke_for(user=token.user) == 0
    token.refresh_from_db()
    assert token.revoked_at == first <= timezone.now()


def test_anonymous_is_truthy_without_token():
    # django-ninja lets a request through when the auth callable returns a truthy value.
    assert ANONYMOUS
    assert ANONYMOUS.token is None and ANONYMOUS.user is None


# --- The admin ---------------------------------------------------------------------------------------


@pytest.fixture
def admin_client():
    client = Client()
    client.force_login(UserFactory(admin=True))
    return client


def test_the_admin_lists_tokens_without_their_secret(admin_client):
    token, secret = api_token_issue(user=UserFactory(email="camille.martin@beta.gouv.fr"), name="tableau")
    response = admin_client.get("/admin/accounts/apitoken/")
    assert response.status_code == 200
    assert "tableau" in response.content.decode()
    assert secret not in response.content.decode()
    assert admin_client.get(f"/admin/accounts/apitoken/{token.pk}/change/").status_code == 200
    assert admin_client.get("/admin/accounts/apitoken/add/").status_code == 403


def test_the_admin_revokes(admin_client):
    admin = UserFactory(admin=True)
    admin_client.force_login(admin)
    user = UserFactory()
    revoked, secret = api_token_issue(user=user, name="à révoquer")
    kept, kept_secret = api_token_issue(user=user, name="à garder")
    response = admin_client.post(
        "/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [revoked.pk]}, follow=True
    )
    assert response.status_code == 200
    assert "1 jeton révoqué." in response.content.decode()
    assert authenticate(secret) is None
    assert authenticate(kept_secret) is not None
    entry = JournalEntry.objects.get(action="accounts.api_token_revoked")
    assert entry.actor == admin
    # The revoked token is refused by the API.
    assert Client().get("/api/v1/organisations", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
