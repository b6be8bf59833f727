from django.contrib.auth.models import AnonymousUser

from incubateur.core.roles import Role, is_admin, is_member, is_staff, role_of
from tests.factories import UserFactory


def test_roles_are_derived_from_the_account():
    assert role_of(AnonymousUser()) == Role.ANONYMOUS
    assert role_of(None) == Role.ANONYMOUS
    assert role_of(UserFactory()) == Role.MEMBER
    assert role_of(UserFactory(staff=True)) == Role.STAFF
    assert role_of(UserFactory(admin=True)) == Role.ADMIN
    assert role_of(UserFactory(staff=True, inactive=True)) == Role.ANONYMOUS


def test_roles_are_ordered():
    staff = UserFactory(staff=True)
    assert is_member(staff) and is_staff(staff) and not is_admin(staff)
    member = UserFactory()
    assert is_member(member) and not is_staff(member)
    admin = UserFactory(admin=True)
    assert is_member(admin) and is_staff(admin) and is_admin(admin)
