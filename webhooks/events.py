"""The events outgoing webhooks can subscribe to. Apps that publish events declare them
here (in their AppConfig.ready), so this app knows event names, not what they are about."""

EVENTS: dict[str, str] = {}


def event_register(name: str, description: str) -> None:
    EVENTS[name] = description


def event_names() -> list[str]:
    return list(EVENTS)
