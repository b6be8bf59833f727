"""Job and mission posts (#16)."""

from django.urls import path

from incubateur.recruitment import views

app_name = "recruitment"

urlpatterns = [
    path("recrutement/", views.post_list, name="list"),
    path("recrutement/flux.atom", views.feed, name="feed"),
    path("recrutement/mes-annonces/", views.mine, name="mine"),
    path("recrutement/mes-annonces/nouvelle/", views.post_create, name="create"),
    path("recrutement/<int:pk>/", views.post_detail, name="detail"),
    path("recrutement/<int:pk>/modifier/", views.post_edit, name="edit"),
    path("recrutement/<int:pk>/fermer/", views.post_close, name="close"),
    path("recrutement/<int:pk>/prolonger/", views.post_prolong, name="prolong"),
    path("api/v2.6/jobs.json", views.jobs_json, name="jobs_json"),
]
