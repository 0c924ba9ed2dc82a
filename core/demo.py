"""Demo data for the platform itself: one staff user per role."""

import os

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from core.roles import ROLES

DEMO_USERS = {
    "Viewer": ("vera.viewer", "Vera", "Viewer"),
    "Responder": ("rory.responder", "Rory", "Responder"),
    "Manager": ("mina.manager", "Mina", "Manager"),
}


def seed(*, stdout):
    User = get_user_model()
    password = os.environ.get("DEMO_PASSWORD")
    for role in ROLES:
        username, first, last = DEMO_USERS[role]
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@example.com",
                "is_staff": True,
            },
        )
        if created:
            # Without DEMO_PASSWORD the demo users exist for data but cannot sign in.
            if password:
                user.set_password(password)
            else:
                user.set_unusable_password()
            user.save()
        user.groups.add(Group.objects.get(name=role))
        stdout.write(f"  {role}: {username} ({'created' if created else 'kept'})")
