"""The ontology's names (``../shared/ontology.md``, the contract): the nine entity types and the ten
predicates, for every part of the project that checks a name against them."""

from __future__ import annotations

TYPES = ("REGION", "ZONE", "ENTERPRISE", "PARTY_ORG", "GOV_ORG", "ALLIANCE", "INSTITUTION", "PERSON", "INDUSTRY")
PREDICATES = (
    "COOPERATES_WITH",
    "SUPPLIES",
    "MEMBER_OF",
    "LEADS",
    "ESTABLISHED",
    "SUBORDINATE_TO",
    "LOCATED_IN",
    "HOLDS_POSITION",
    "VISITED",
    "SUPPORTS",
)
