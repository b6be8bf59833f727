from django.urls import path

from incubateur.transparency.views import commitments, journal

urlpatterns: list = [
    path("journal/", journal.journal, name="journal"),
    path("journal/flux.atom", journal.feed, name="journal_feed"),
    path("engagements/", commitments.commitments_page, name="commitments"),
    path("engagements/<slug:key>.csv", commitments.commitment_csv, name="commitment_csv"),
    path("engagements/<slug:key>.json", commitments.commitment_json, name="commitment_json"),
]
