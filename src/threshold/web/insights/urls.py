from django.urls import path

from threshold.web.insights import views

app_name = "insights"
urlpatterns = [
    path("", views.index, name="index"),
    path("la/<str:la_code>/", views.authority_dashboard, name="authority"),
    path("la/<str:la_code>/import/", views.import_upload, name="import_upload"),
    path("la/<str:la_code>/quarantine/", views.quarantine, name="quarantine"),
    path("la/<str:la_code>/imports/", views.import_list, name="import_list"),
    path(
        "la/<str:la_code>/imports/download/",
        views.import_list_download,
        name="import_list_download",
    ),
    path(
        "la/<str:la_code>/download/schools/",
        views.authority_schools_download,
        name="authority_schools_download",
    ),
    path(
        "la/<str:la_code>/download/months/",
        views.authority_months_download,
        name="authority_months_download",
    ),
    path(
        "schools/<int:urn>/download/months/",
        views.school_months_download,
        name="school_months_download",
    ),
    path(
        "schools/<int:urn>/download/comparison/",
        views.school_comparison_download,
        name="school_comparison_download",
    ),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/jobs/<int:pk>/", views.import_progress, name="import_progress"),
    path("schools/<int:urn>/", views.school_dashboard, name="school"),
]
