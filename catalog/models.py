"""The catalogue: teams and the services they own, which everything else is about."""

from django.conf import settings
from django.db import models

from core.models import TimeStampedModel


class Team(TimeStampedModel):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Tier(models.IntegerChoices):
    """How much the business depends on a service."""

    TIER_1 = 1, "Tier 1 (critical)"
    TIER_2 = 2, "Tier 2 (important)"
    TIER_3 = 3, "Tier 3 (supporting)"
    TIER_4 = 4, "Tier 4 (internal)"


class Service(TimeStampedModel):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="services")
    tier = models.PositiveSmallIntegerField(choices=Tier.choices, default=Tier.TIER_2)
    runbook_url = models.URLField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(tier__gte=1, tier__lte=4), name="service_tier_1_to_4"
            )
        ]

    def __str__(self):
        return self.name
