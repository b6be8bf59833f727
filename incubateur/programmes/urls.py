from django.urls import path

from incubateur.programmes.views import public as views_public
from incubateur.programmes.views import staff as views_staff

app_name = "programmes"

urlpatterns = [
    # Public (calls and results), then applicants (logged in)
    path("programmes/", views_public.index, name="index"),
    path("programmes/appels/<int:pk>/", views_public.call, name="call"),
    path("programmes/appels/<int:pk>/resultats/", views_public.results, name="results"),
    path("programmes/appels/<int:pk>/candidater/", views_public.apply, name="apply"),
    path("programmes/candidatures/", views_public.mine, name="mine"),
    path("programmes/candidatures/<int:pk>/", views_public.application, name="application"),
    path("programmes/candidatures/<int:pk>/brouillon/", views_public.autosave, name="application_autosave"),
    path("programmes/candidatures/<int:pk>/deposer/", views_public.submit, name="application_submit"),
    # Incubator staff: calls, instruction, reviews, decisions, results
    path("equipe/programmes/", views_staff.calls, name="staff_calls"),
    path("equipe/programmes/appels/nouveau/", views_staff.call_new, name="call_new"),
    path("equipe/programmes/appels/<int:pk>/", views_staff.call, name="staff_call"),
    path("equipe/programmes/appels/<int:pk>/modifier/", views_staff.call_edit, name="call_edit"),
    path("equipe/programmes/appels/<int:pk>/regles/", views_staff.call_rules, name="call_rules"),
    path("equipe/programmes/appels/<int:pk>/comite/", views_staff.committee_view, name="committee_view"),
    path("equipe/programmes/appels/<int:pk>/publier/", views_staff.results_publish, name="results_publish"),
    path("equipe/programmes/candidatures/<int:pk>/", views_staff.application, name="staff_application"),
    path("equipe/programmes/candidatures/<int:pk>/statut/", views_staff.application_status, name="application_status"),
    path("equipe/programmes/candidatures/<int:pk>/eligibilite/", views_staff.eligibility, name="eligibility_mark"),
    path("equipe/programmes/candidatures/<int:pk>/evaluation/", views_staff.review, name="review"),
    path("equipe/programmes/candidatures/<int:pk>/se-retirer/", views_staff.review_withdraw, name="review_withdraw"),
    path("equipe/programmes/candidatures/<int:pk>/decision/", views_staff.decide, name="application_decide"),
]
