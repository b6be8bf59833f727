from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from tests.organisation.helpers import load_organisation


@pytest.fixture
def organisation() -> str:
    """The tests' fictional organisation (tests/fixtures/organisation.yaml), loaded as `manage.py
    load_organisation` does; returns its report."""
    return load_organisation()


@pytest.fixture
def real_organisation() -> str:
    """The real data/organisation.yaml (the command's default file), for the tests whose subject is that file;
    returns the command's report."""
    out = StringIO()
    call_command("load_organisation", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def organisation_for_the_module(django_db_setup, django_db_blocker):
    """The fictional organisation, loaded once for a module of read tests, in a transaction rolled back at its end.

    Each test runs in its own savepoint inside it (pytest-django's `db`): what a test writes is undone.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        load_organisation()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def loaded(organisation_for_the_module, db) -> None:
    """Use in a module of read tests: `pytestmark = pytest.mark.usefixtures("loaded")`."""
