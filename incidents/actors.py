from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser

SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """Who made a change: a user, or the system or an integration acting by name."""

    name: str
    user: AbstractBaseUser | None = None

    @classmethod
    def of(cls, by: "Actor | AbstractBaseUser | None") -> "Actor":
        if isinstance(by, Actor):
            return by
        if by is None:
            return cls(SYSTEM)
        return cls(by.get_username(), by)

    @classmethod
    def integration(cls, name: str) -> "Actor":
        return cls(f"integration: {name}")
