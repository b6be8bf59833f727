"""Every model of the project has an entry in Django's admin, and every admin list renders."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tests.factories import UserFactory

OUR_MODELS = [model for model in apps.get_models() if model.__module__.startswith("incubateur.")]
# Link tables and phases/events: edited inline on their parent.
INLINE_ONLY = {"MissionProduct", "ProductSponsor", "ProductIncubator", "Phase", "Event"}


def test_every_model_has_an_admin_entry():
    missing = [
        model.__name__
        for model in OUR_MODELS
        if model not in admin.site._registry and model.__name__ not in INLINE_ONLY
    ]
    assert missing == []


@pytest.mark.parametrize(
    "model", [m for m in OUR_MODELS if m in admin.site._registry], ids=lambda m: f"{m._meta.app_label}.{m.__name__}"
)
def test_every_admin_list_renders_for_an_administrator(client, model):
    client.force_login(UserFactory(admin=True))
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert client.get(url).status_code == 200
