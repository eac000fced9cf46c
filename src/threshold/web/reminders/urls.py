from django.urls import path

from threshold.web.reminders import views

app_name = "reminders"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("authorities/<str:la_code>/", views.authority_defaults, name="authority_defaults"),
]
