"""Who a subscription's email goes to."""

from django.contrib.auth import get_user_model

from core.roles import MANAGER


def subscription_recipients(subscription) -> list[str]:
    """The subscription's own list, or else every active Manager with an address."""
    listed = subscription.recipient_list()
    if listed:
        return listed
    managers = (
        get_user_model()
        .objects.filter(is_active=True, groups__name=MANAGER)
        .exclude(email="")
        .order_by("email")
        .values_list("email", flat=True)
        .distinct()
    )
    return list(managers)
