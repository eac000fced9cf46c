from django.urls import path

from threshold.web.supervision import views

app_name = "supervision"
urlpatterns = [
    path("", views.session_list, name="session_list"),
    path("download/", views.session_download, name="session_download"),
    path(
        "enrolments/<int:enrolment_id>/first-session/",
        views.first_session_sheet,
        name="first_session_sheet",
    ),
    path("sessions/<int:session_id>/record/", views.record, name="record"),
    path("sessions/<int:session_id>/worksheet/", views.worksheet, name="worksheet"),
    path("sessions/<int:session_id>/reflection/", views.reflection, name="reflection"),
    path("ad-hoc/", views.ad_hoc_support, name="ad_hoc_support"),
    path("ratings/", views.ratings, name="ratings"),
]
