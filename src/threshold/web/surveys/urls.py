from django.urls import path

from threshold.web.surveys import views

app_name = "surveys"
urlpatterns = [
    path("survey/<str:token>/<str:wave>/", views.respond, name="respond"),
    path("surveys/", views.wave_list, name="wave_list"),
    path("surveys/new/", views.wave_create, name="wave_create"),
    path("surveys/waves/<int:pk>/", views.monitor, name="monitor"),
    path("surveys/waves/<int:pk>/invite/", views.invite, name="invite"),
    path("surveys/waves/<int:pk>/people/", views.invitees, name="invitees"),
    path("surveys/programmes/<int:programme_pk>/results/", views.results, name="results"),
    path("surveys/mine/", views.invitations, name="invitations"),
]
