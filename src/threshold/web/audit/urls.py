from django.urls import path

from threshold.web.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.event_list, name="event_list"),
    path("download/", views.event_download, name="event_download"),
]
