from django.urls import path, re_path

from runbooks import views

app_name = "runbooks"

urlpatterns = [
    path("", views.index, name="index"),
    # The same pattern as runbooks.pages.NAME: nothing else reaches the view.
    re_path(r"^(?P<name>[a-z0-9-]+)/$", views.page, name="page"),
]
