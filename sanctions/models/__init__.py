"""Models of joint reward and punishment, one module per sub-domain (STYLE: a package past ~800
lines): lists, behaviour rules and proposals, measures, grades, random inspections, the sandbox."""

from sanctions.models.base import ConsumerPosition
from sanctions.models.grades import CreditGrade, Indicator, IndicatorSystem
from sanctions.models.inspections import (
    InspectionAssignment,
    InspectionTask,
    InspectionTaskTransition,
    Inspector,
)
from sanctions.models.lists import ListEntry, ListEntryBasis, ListEntryTransition
from sanctions.models.measures import Measure, MeasureFeedback, MeasureLift
from sanctions.models.rules import BehaviourRule, ListProposal, ProposalBasis, ProposalTransition
from sanctions.models.sandbox import (
    ClueTransition,
    EarlyWarningClue,
    RiskTrigger,
    SandboxMembership,
    SandboxTransition,
)

__all__ = [
    "BehaviourRule",
    "ClueTransition",
    "ConsumerPosition",
    "CreditGrade",
    "EarlyWarningClue",
    "Indicator",
    "IndicatorSystem",
    "InspectionAssignment",
    "InspectionTask",
    "InspectionTaskTransition",
    "Inspector",
    "ListEntry",
    "ListEntryBasis",
    "ListEntryTransition",
    "ListProposal",
    "Measure",
    "MeasureFeedback",
    "MeasureLift",
    "ProposalBasis",
    "ProposalTransition",
    "RiskTrigger",
    "SandboxMembership",
    "SandboxTransition",
]
