from django.contrib import admin
from django.urls import include, path

from config.api import urls as api_urls
from incubateur.core import views as core_views
from incubateur.registry import urls_v27

admin.site.site_header = "Administration — Incubateur de services numériques"
admin.site.site_title = "Administration de l'Incubateur"
admin.site.index_title = "Tableau de bord"

urlpatterns = [
    # First: the API is resolved without trying every page's pattern (about 250 µs per request; no "" pattern
    # matches a path under api/v1/).
    path("api/v1/", api_urls()),
    path("", include("incubateur.public.urls")),
    path("", include("incubateur.accounts.urls")),
    path("", include("incubateur.core.urls")),
    path("", include("incubateur.organisation.urls")),
    path("", include("incubateur.registry.urls")),
    path("", include("incubateur.guichet.urls")),
    path("", include("incubateur.programmes.urls")),
    path("", include("incubateur.portfolios.urls")),
    path("", include("incubateur.community.urls")),
    path("", include("incubateur.recruitment.urls")),
    path("", include("incubateur.transparency.urls")),
    path("api/v2.7/", include("incubateur.registry.urls_v27")),
    path("api/v3/", include((urls_v27.v3_urlpatterns, "api-v3"))),
    path("", include((urls_v27.counter_urlpatterns, "betagouv-files"))),
    path("healthz", core_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]

handler400 = "incubateur.core.views.bad_request"
handler403 = "incubateur.core.views.permission_denied"
handler404 = "incubateur.core.views.page_not_found"
handler500 = "incubateur.core.views.server_error"
