import pytest
from django.urls import reverse


@pytest.mark.parametrize(
    "name,heading",
    [
        ("public:home", "Incubateur de services numériques"),
        ("public:accessibility", "Déclaration d'accessibilité"),
        ("public:legal", "Mentions légales"),
        ("public:privacy", "Données personnelles"),
        ("public:sitemap", "Plan du site"),
    ],
)
def test_public_pages_render_the_dsfr_shell(client, name, heading):
    response = client.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>{heading}</h1>" in html
    assert '<html lang="fr"' in html
    assert 'class="fr-skiplinks"' in html
    assert 'class="fr-header"' in html
    for link in ["/accessibilite/", "/mentions-legales/", "/donnees-personnelles/", "/plan-du-site/"]:
        assert f'href="{link}"' in html
    assert "Accessibilité : non conforme" in html


def test_home_title(client):
    html = client.get("/").content.decode()
    assert "<title>Incubateur de services numériques</title>" in html


def test_accessibility_statement_says_non_conforme_with_its_date(client):
    html = client.get(reverse("public:accessibility")).content.decode()
    assert "<strong>non conforme</strong>" in html
    assert "Établie le <time>29 novembre 2026</time>" in html
