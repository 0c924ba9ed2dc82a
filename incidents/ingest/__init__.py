"""Turning what monitoring tools send into alert groups, then into incidents.

Each format's module parses a payload into ``AlertGroup`` values, refusing the whole
payload (``PayloadError``) before anything is written; ``incidents.services.alerts``
then stores the alerts and makes the grouping decisions in one transaction.
"""
