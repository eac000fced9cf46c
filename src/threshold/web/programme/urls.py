from django.urls import path

from threshold.web.programme import views

app_name = "programme"
urlpatterns = [
    path("programmes/", views.programme_list, name="programme_list"),
    path("programmes/new/", views.programme_create, name="programme_create"),
    path("programmes/<int:pk>/", views.programme_detail, name="programme_detail"),
    path("programmes/<int:pk>/edit/", views.programme_edit, name="programme_edit"),
    path("programmes/<int:pk>/allocations/", views.allocations_upload, name="allocations_upload"),
    path("programmes/enrolments/<int:pk>/", views.enrolment_edit, name="enrolment_edit"),
    path("programmes/<int:pk>/enrol/", views.enrolments_choose, name="enrolments_choose"),
    path("programmes/<int:pk>/enrol/file/", views.enrolments_upload, name="enrolments_upload"),
    path(
        "programmes/<int:pk>/enrol/template.csv",
        views.enrolments_template,
        name="enrolments_template",
    ),
    path("schedule/", views.school_list, name="school_list"),
    path("schedule/download/", views.schedule_download, name="schedule_download"),
    path("schedule/feed/", views.feed, name="feed"),
    path("schedule/feed/<str:token>.ics", views.feed_ics, name="feed_ics"),
    path("schedule/<int:urn>/", views.school_schedule, name="school_schedule"),
    path("schedule/<int:urn>/plan/", views.session_plan, name="session_plan"),
    path("schedule/<int:urn>/calendar/", views.calendar_add, name="calendar_add"),
    path("schedule/sessions/<int:pk>/move/", views.session_reschedule, name="session_reschedule"),
    path("schedule/sessions/<int:pk>/cancel/", views.session_cancel, name="session_cancel"),
    path("schedule/sessions/<int:pk>/held/", views.session_held, name="session_held"),
    path(
        "schedule/sessions/<int:pk>/undo-held/", views.session_undo_held, name="session_undo_held"
    ),
    path("schedule/sessions/<int:pk>/remove/", views.session_remove, name="session_remove"),
    path(
        "schedule/sessions/<int:pk>/cancelled-by/",
        views.session_canceller,
        name="session_canceller",
    ),
    path("take-up/", views.take_up, name="take_up"),
    path("take-up/download/", views.take_up_download, name="take_up_download"),
    path("community-of-practice/", views.meeting_list, name="meeting_list"),
    path("community-of-practice/new/", views.meeting_create, name="meeting_create"),
]
