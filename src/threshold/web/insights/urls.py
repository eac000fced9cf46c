from django.urls import path

from threshold.web.insights import views

app_name = "insights"
urlpatterns = [
    path("", views.index, name="index"),
    path("la/<str:la_code>/", views.authority_dashboard, name="authority"),
    path("la/<str:la_code>/import/", views.import_upload, name="import_upload"),
    path("la/<str:la_code>/quarantine/", views.quarantine, name="quarantine"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/jobs/<int:pk>/", views.import_progress, name="import_progress"),
    path("schools/<int:urn>/", views.school_dashboard, name="school"),
]
