from django.urls import path

from incubateur.transparency.views import statistics

urlpatterns: list = [
    path("statistiques/", statistics.index, name="statistics"),
    path("statistiques/<slug:key>/", statistics.indicator, name="statistics_indicator"),
    path("statistiques/<slug:key>.csv", statistics.indicator_csv, name="statistics_csv"),
    path("statistiques/<slug:key>.json", statistics.indicator_json, name="statistics_json"),
]
