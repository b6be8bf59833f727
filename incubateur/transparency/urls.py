from incubateur.transparency import urls_journal, urls_statistics

app_name = "transparency"

urlpatterns = [*urls_journal.urlpatterns, *urls_statistics.urlpatterns]
