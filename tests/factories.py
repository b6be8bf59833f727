import factory

from incubateur.accounts.models import User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["email"]

    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    username = factory.Sequence(lambda n: f"prenom{n}.nom{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@beta.gouv.fr")
    password = factory.django.Password(None)

    class Params:
        staff = factory.Trait(is_incubator_staff=True)
        admin = factory.Trait(is_superuser=True, is_staff=True)
        inactive = factory.Trait(is_active=False)


def person(username: str):
    """A person of the tests' organisation (tests/fixtures/organisation.yaml), once loaded (e.g. "pierre.boussole",
    manager of the Justice portfolio)."""
    return User.objects.get(username=username)
