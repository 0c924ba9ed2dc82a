"""Services, teams, integrations, alerts and incidents with their timeline; on-call
schedules, escalation and notifications; post-incident reviews and action items."""
