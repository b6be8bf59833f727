"""Rows of tests/forms_fuzz_builders.BUILDERS for the recruitment forms (that module adds them:
`BUILDERS.update(recruitment_fuzz.BUILDERS)`)."""

import datetime

from django.utils import timezone

from incubateur.recruitment import forms as recruitment_forms
from incubateur.recruitment import selectors
from incubateur.recruitment import services as recruitment
from incubateur.recruitment.models import JobPost


def _variant(*args, **kwargs):
    from tests.forms_fuzz_builders import Variant  # that module imports this one (a cycle)

    return Variant(*args, **kwargs)


def _post(w) -> JobPost:
    post = JobPost.objects.filter(title="Poste du fuzz").first()
    if post is None:
        post = recruitment.post_create(
            by=w.member,
            product=w.product,
            title="Poste du fuzz",
            kind="emploi",
            contract="cdd",
            description="Texte",
            community_from=timezone.localdate(),
        )
    return post


def filter_form(w) -> list:
    return [
        _variant(
            "list filters",
            lambda data: recruitment_forms.FilterForm(data, owners=selectors.owners(JobPost.objects.all())),
            use=lambda form: form.filters(),
            hints={"pour": [f"produit:{w.product.ghid}", "pole:inconnu"]},
            valid=[{"nature": "mission", "domaine": "Design", "junior": "on"}],
        )
    ]


def _service_values(form):
    return form.service_values() if form.is_valid() else None


def post_form(w) -> list:
    today = timezone.localdate()
    valid = {
        "title": "Développeuse",
        "kind": "emploi",
        "contract": "cdi",
        "description": "Le poste",
        "technos": "Django, ,Vue",
        "domaines": ["Développement", "Data"],
        "community_from": today.isoformat(),
        "public_from": (today + datetime.timedelta(days=3)).isoformat(),
    }
    return [
        _variant(
            "create (product team)",
            lambda data: recruitment_forms.PostForm(data, user=w.member),
            use=_service_values,
            hints={"pour": [f"produit:{w.product.ghid}"]},
            valid=[{**valid, "pour": f"produit:{w.product.ghid}"}],
        ),
        _variant(
            "create (staff)",
            lambda data: recruitment_forms.PostForm(data, user=w.staff),
            use=_service_values,
            valid=[{**valid, "pour": f"produit:{w.product.ghid}", "kind": "mission", "contracting_body": "T"}],
        ),
        _variant(
            "edit",
            lambda data: recruitment_forms.PostForm(
                data,
                user=w.member,
                post=_post(w),
                initial=recruitment_forms.PostForm.initial_for(_post(w)),
            ),
            use=_service_values,
            valid=[valid],
        ),
    ]


def close_form(w) -> list:
    return [
        _variant(
            "close",
            lambda data: recruitment_forms.CloseForm(data),
            valid=[{"status": "pourvu", "confirm": "on"}],
        )
    ]


BUILDERS = {
    recruitment_forms.FilterForm: filter_form,
    recruitment_forms.PostForm: post_form,
    recruitment_forms.CloseForm: close_form,
}
