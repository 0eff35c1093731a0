from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.account_home, name="home"),
    path("data/", views.account_export, name="export"),
    path("delete/", views.account_delete, name="delete"),
    path("memberships/<int:pk>/leave/", views.membership_leave, name="leave"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
]
