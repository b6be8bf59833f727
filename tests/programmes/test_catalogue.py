from io import StringIO

from django.core.management import call_command

from incubateur.programmes.models import Programme


def test_load_programmes_creates_the_incubators_programmes_once():
    out = StringIO()
    call_command("load_programmes", stdout=out)
    assert "6 programmes créés" in out.getvalue()
    assert list(Programme.objects.values_list("slug", flat=True)) == [
        "fast",
        "consolidation",
        "findpe",
        "eig-defis",
        "eig-candidats",
        "aic",
    ]
    Programme.objects.filter(slug="aic").update(name="AIC (renommé par l'équipe)")
    call_command("load_programmes", stdout=out)
    assert Programme.objects.count() == 6
    assert Programme.objects.get(slug="aic").name == "AIC (renommé par l'équipe)"
