import datetime

import factory
from django.utils import timezone

from incubateur.registry import models


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Organisation
        django_get_or_create = ["ghid"]

    ghid = factory.Sequence(lambda n: f"organisation-{n}")
    name = factory.Sequence(lambda n: f"Organisation {n}")
    acronym = factory.Sequence(lambda n: f"ORG{n}")
    domaine_ministeriel = "justice"
    type = "administration-centrale"


class IncubatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Incubator
        django_get_or_create = ["ghid"]

    ghid = factory.Sequence(lambda n: f"incubateur-{n}")
    title = factory.Sequence(lambda n: f"Incubateur {n}")
    owner = factory.SubFactory(OrganisationFactory)
    contact = "contact@incubateur.example.org"


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Product
        django_get_or_create = ["ghid"]
        # The post-generation hooks only create related rows: no second save (factory_boy 3.3 warns otherwise).
        skip_postgeneration_save = True

    ghid = factory.Sequence(lambda n: f"produit-{n}")
    name = factory.Sequence(lambda n: f"Produit {n}")
    pitch = "Simplifier une démarche"
    description = "## Problème\n\nUn problème.\n"
    contact = "contact@produit.example.org"

    @factory.post_generation
    def incubator(self, create, extracted, **kwargs):
        """`ProductFactory(incubator=inc)` makes `inc` the principal incubator (one is made by default)."""
        if not create:
            return
        models.ProductIncubator.objects.create(
            product=self, incubator=extracted or IncubatorFactory(), is_principal=True
        )

    @factory.post_generation
    def phase(self, create, extracted, **kwargs):
        """`ProductFactory(phase="construction")`: one current phase, started a year ago."""
        if create and extracted:
            models.Phase.objects.create(
                product=self, name=extracted, start=timezone.localdate() - datetime.timedelta(days=365)
            )


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Member
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"camille{n}.martin")
    fullname = factory.Sequence(lambda n: f"Camille{n} Martin")
    role = "Développeuse"
    domaine = "Développement"


class MissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Mission
        skip_postgeneration_save = True

    member = factory.SubFactory(MemberFactory)
    start = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=100))
    end = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=100))
    status = "independent"

    @factory.post_generation
    def products(self, create, extracted, **kwargs):
        if create and extracted:
            for order, product in enumerate(extracted):
                models.MissionProduct.objects.create(mission=self, product=product, order=order)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Team
        django_get_or_create = ["ghid"]

    ghid = factory.Sequence(lambda n: f"equipe-{n}")
    name = factory.Sequence(lambda n: f"Équipe {n}")
    incubator = factory.SubFactory(IncubatorFactory)


def team_member(product, *, username: str, **user_fields):
    """An account with a member fiche and a mission running today on `product` (its active team)."""
    from tests.factories import UserFactory

    user = UserFactory(username=username, **user_fields)
    member = MemberFactory(username=username, fullname=user.get_full_name(), user=user)
    MissionFactory(member=member, products=[product])
    return user
