"""The insight engine: each rule is a function from the platform's data to findings; a
generation runs every rule and reconciles its findings with the stored insights."""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Finding:
    subject: str  # what it is about, stable across runs: "service:checkout", "item:12"
    title: str
    severity: str  # InsightSeverity
    recommendation: str
    evidence: tuple[tuple[str, str], ...] = ()  # (label, URL)
    service_id: int | None = None
    figures: dict = field(default_factory=dict)

    def fingerprint(self, rule: str) -> str:
        return hashlib.sha256(f"{rule}\0{self.subject}".encode()).hexdigest()

    def content_hash(self) -> str:
        said = [self.title, self.severity, self.recommendation, self.figures]
        return hashlib.sha256(json.dumps(said, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    find: Callable[[datetime], list[Finding]]


def rules() -> list[Rule]:
    from insights.rules import RULES

    return RULES
