from incubateur.community import urls_checklists

app_name = "community"

urlpatterns = [*urls_checklists.urlpatterns]
