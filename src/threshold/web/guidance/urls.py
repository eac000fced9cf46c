from django.urls import path

from threshold.web.guidance import views

app_name = "guidance"
urlpatterns = [
    path("", views.index, name="index"),
    path("la/<str:la_code>/", views.document, name="document"),
    path("la/<str:la_code>/poster.pdf", views.poster, name="poster"),
    path("la/<str:la_code>/edit/", views.document_edit, name="document_edit"),
    path("la/<str:la_code>/publish/", views.document_publish, name="document_publish"),
    path("la/<str:la_code>/history/", views.history, name="history"),
    path("la/<str:la_code>/versions/<int:number>/", views.version, name="version"),
    path("pathway/", views.pathway_start, name="pathway_start"),
    path("pathway/result/", views.pathway_result, name="pathway_result"),
    path("pathway/record/", views.pathway_record, name="pathway_record"),
    path("pathway/<str:question>/", views.pathway_question, name="pathway_question"),
    path("outcomes/", views.outcome_list, name="outcome_list"),
    path("outcomes/download/", views.outcome_download, name="outcome_download"),
    path("calls/", views.call_list, name="call_list"),
    path("calls/download/", views.call_download, name="call_download"),
    path("calls/new/", views.call_create, name="call_create"),
    path("calls/<int:pk>/", views.call_detail, name="call_detail"),
    path("summary/", views.summary, name="summary"),
]
