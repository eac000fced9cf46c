from django.urls import path

from threshold.web.trials import views

app_name = "trials"

urlpatterns = [
    path("", views.trial_list, name="trial_list"),
]
