"""The relation rules' vocabulary: trigger words, titles, entity types, prepositions, anaphors, dates."""

from __future__ import annotations

import re

from ...resources import words

#: Sentence ends. ； is included: the newsletters chain independent statements with it.
SENTENCE_END = "。！？!?；;"
#: Clause separators inside a sentence.
CLAUSE_SEP = "，,：:"
#: What may stand between two members of a list (A、B和C).
LIST_SEPARATORS = {"", "、", "和", "及", "以及", "、以及", "或", "，以及", ",以及"}

#: Trigger words of the rules, by relation: models/lexicons/rel_triggers.txt (its header says which).
COOPERATION_TRIGGERS = words("rel_triggers.txt", "COOP")
#: Triggers strong enough to link a list to a trigger a few clauses later (远航、华变…达成合作协议).
STRONG_COOPERATION = words("rel_triggers.txt", "COOP_STRONG")
#: Verbs after which the following list are partners of the subject (X联合Y开展…).
COOPERATION_WITH_OBJECT = words("rel_triggers.txt", "COOP_WITH_OBJECT")
SUPPLY_BUY = words("rel_triggers.txt", "BUY")
SUPPLY_SELL = words("rel_triggers.txt", "SELL")
#: Nouns that make 提供/交付 a supply of goods rather than a service.
GOODS = words("rel_triggers.txt", "GOODS")
SUPPORT_TRIGGERS = words("rel_triggers.txt", "SUPPORT")
#: 为X提供… nouns that make it SUPPORTS.
SUPPORT_NOUNS = words("rel_triggers.txt", "SUPPORT_NOUNS")
ESTABLISH_TRIGGERS = words("rel_triggers.txt", "ESTABLISH")
LEAD_ROLES = words("rel_triggers.txt", "LEAD")
VISIT_VERBS = words("rel_triggers.txt", "VISIT")
#: Movement verbs: X来/到/赴 PLACE (开展…).
VISIT_MOVES = words("rel_triggers.txt", "MOVE")

#: Titles for HOLDS_POSITION (entities/persons.py reads the same file for titles next to a name); TITLE_RE
#: tries them longest-first so that 副书记 wins over 书记.
TITLE_CORE = words("person_titles.txt", "ALL", "POSITION")
TITLE_PREFIX = r"(?:党委|党组|党工委|党总支|党支部|支部|总支|常务|执行|名誉|专职|兼职|第一)?副?"
TITLE_RE = "(?:" + TITLE_PREFIX + "(?:" + "|".join(sorted(TITLE_CORE, key=len, reverse=True)) + "))"
#: One or more titles in a row (党委书记、董事长). Each title is taken atomically: 支部书记 reads as
#: one title or as 支部 + 书记, and a run of such words not followed by the end of the gap was
#: otherwise tried cut every way (2^n; 30 of them never finished). Both readings end at the same
#: place, so the matches are the plain form's (checked on 200,000 random strings of title parts).
TITLE_RUN = "(?>" + TITLE_RE + ")(?:、?(?>" + TITLE_RE + "))*+"
#: A whole gap that is a title (or several: 党委书记、董事长), maybe after 企业/公司 filler.
TITLE_GAP = re.compile(r"^(?:企业|公司|单位|的)?(" + TITLE_RUN + r")$")
#: A gap that is titles and a 、 before the next organization: 区委常委、人武部部长某某.
TITLES_BEFORE = re.compile(r"^(?:企业|公司)?(" + TITLE_RUN + r")、$")

#: Organization-like types: may hold positions, be visited, found things.
ORG_TYPES = {"PARTY_ORG", "GOV_ORG", "ENTERPRISE", "INSTITUTION", "ALLIANCE"}
PLACE_TYPES = {"REGION", "ZONE"}
ACTOR_TYPES = ORG_TYPES | PLACE_TYPES
GROUP_TYPES = {"PARTY_ORG", "ALLIANCE"}

#: Prepositions that, opening a clause or standing right before a mention, show that the mention is
#: not the subject (在X, 与X, 由X…).
_PREP = "(?:" + "|".join(map(re.escape, words("rel_function_words.txt", "PREP"))) + ")"
_ADVERBS = "(?:" + "|".join(map(re.escape, words("rel_function_words.txt", "ADVERB"))) + ")*"
_NOT_SUBJECT = re.compile(r"^" + _ADVERBS + _PREP + r"(?!时|样|步|期)|" + _PREP + r"$")


def _not_subject_prefix(prefix: str) -> bool:
    """True when ``prefix`` (text from the clause start to a mention) puts the mention in a
    prepositional phrase rather than in subject position."""
    return bool(_NOT_SUBJECT.search(prefix.strip()))


#: Anaphors resolved to the latest entity of a fitting type (the pattern's group 1 is the anaphor).
ANAPHORS = [
    (re.compile(r"(该(?:企业|公司|集团|厂))"), {"ENTERPRISE"}),
    (re.compile(r"(该(?:中心|院|所|校|医院|协会|商会|服务社|社|机构|组织|单位))"), {"INSTITUTION", "ENTERPRISE"}),
    (re.compile(r"(该(?:党委|党支部|支部|党总支|党组织|党工委))"), {"PARTY_ORG"}),
    (re.compile(r"(该(?:联盟|联合体|平台))"), {"ALLIANCE"}),
    (re.compile(r"(该(?:园区|开发区|工业区|基地))"), {"ZONE"}),
    (re.compile(r"(该(?:镇|村|区|县|市|街道|社区))"), {"REGION"}),
    # a bare 公司/企业 opening a clause means the company the article is about
    (
        re.compile(r"(?:^|[，,。；;])((?:公司|企业))(?=作为|与|和|已|先后|积极|还|也|通过|从|向|为|就|在|将|是|获|被)"),
        {"ENTERPRISE"},
    ),
    (re.compile(r"(?:^|[，,。；;])(联盟)(?=成员|作为|已|先后|还|也|通过|将|是|的成员)"), {"ALLIANCE"}),
    (re.compile(r"(?<![园社小景厂楼])((?:区|镇|县|市|村)里)"), {"REGION"}),
]
#: For 区里/镇里: the suffix the antecedent's name must end with.
PLACE_SUFFIX_OF: dict[str, str | tuple[str, ...]] = {
    "区里": "区",
    "镇里": ("镇", "街道"),
    "县里": "县",
    "市里": "市",
    "村里": "村",
}

DATE_RE = re.compile(r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日")
