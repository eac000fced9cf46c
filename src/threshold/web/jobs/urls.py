from django.urls import path

from threshold.web.jobs import views

app_name = "jobs"
urlpatterns = [
    path("failed/", views.failed, name="failed"),
]
