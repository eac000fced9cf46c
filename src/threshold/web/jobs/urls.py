from django.urls import path

from threshold.web.jobs import views

app_name = "jobs"
urlpatterns = [
    path("failed/", views.failed, name="failed"),
    path("failed/<uuid:job_id>/run-again/", views.run_again, name="run_again"),
]
