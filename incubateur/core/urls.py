from django.urls import path

from incubateur.core import views

app_name = "core"

urlpatterns = [
    path("equipe/journal/", views.journal_list, name="journal"),
    path("equipe/notifications/", views.notification_list, name="notifications"),
    path("equipe/notifications/<int:pk>/renvoyer/", views.notification_retry, name="notification_retry"),
]
