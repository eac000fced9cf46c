from django.urls import path

from threshold.web.trials import analysis_views, export_views, health_views, views

app_name = "trials"

urlpatterns = [
    path("", views.trial_list, name="trial_list"),
    # set-up: creation to randomisation and withdrawals
    path("new/", views.trial_create, name="trial_create"),
    path("<int:pk>/", views.trial_detail, name="trial_detail"),
    path("<int:pk>/schools/", views.trial_schools, name="trial_schools"),
    path("<int:pk>/power/", views.trial_power, name="trial_power"),
    path("<int:pk>/protocol/", views.trial_protocol, name="trial_protocol"),
    path("<int:pk>/protocol/toml/", views.trial_protocol_toml, name="trial_protocol_toml"),
    path("<int:pk>/lock/", views.trial_lock, name="trial_lock"),
    path("<int:pk>/randomise/", views.trial_randomise, name="trial_randomise"),
    path("<int:pk>/withdraw/<int:urn>/", views.trial_withdraw, name="trial_withdraw"),
    # analysis
    path("<int:trial_pk>/runs/", analysis_views.run_list, name="run_list"),
    path("<int:trial_pk>/runs/new/", analysis_views.run_create, name="run_create"),
    path("runs/<int:pk>/", analysis_views.run_detail, name="run_detail"),
    path("runs/<int:pk>/<slug:kind>/", analysis_views.run_file, name="run_file"),
    # export
    path("<int:trial_pk>/export/", export_views.export, name="export"),
    # health
    path("<int:trial_pk>/health/", health_views.health, name="health"),
]
