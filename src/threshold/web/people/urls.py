from django.urls import path

from threshold.web.people import views

app_name = "people"
urlpatterns = [
    path("", views.person_list, name="person_list"),
    path("invite/", views.person_invite, name="person_invite"),
    path("invite/csv/", views.bulk_invite, name="bulk_invite"),
    path("invite/csv/apply/", views.bulk_invite_apply, name="bulk_invite_apply"),
    path("invite/csv/template.csv", views.bulk_template, name="bulk_template"),
    path("join/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("<int:pk>/", views.person_detail, name="person_detail"),
    path("<int:pk>/roles/add/", views.role_add, name="role_add"),
    path("<int:pk>/roles/<int:membership_pk>/remove/", views.role_remove, name="role_remove"),
    path(
        "<int:pk>/deactivate/",
        views.account_change,
        {"change": "deactivate"},
        name="person_deactivate",
    ),
    path(
        "<int:pk>/reactivate/",
        views.account_change,
        {"change": "reactivate"},
        name="person_reactivate",
    ),
    path("<int:pk>/invitation/resend/", views.invitation_resend, name="invitation_resend"),
    path(
        "<int:pk>/invitation/revoke/",
        views.account_change,
        {"change": "revoke"},
        name="invitation_revoke",
    ),
]
