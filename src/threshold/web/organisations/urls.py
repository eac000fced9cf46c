from django.urls import path

from threshold.web.organisations import views

app_name = "organisations"
urlpatterns = [
    path("", views.authority_list, name="authority_list"),
    path("gias/", views.gias_upload, name="gias_upload"),
    path("gias/preview/", views.gias_preview, name="gias_preview"),
    path("gias/apply/", views.gias_apply, name="gias_apply"),
    path("<str:la_code>/", views.authority_detail, name="authority_detail"),
    path("<str:la_code>/edit/", views.authority_edit, name="authority_edit"),
]
