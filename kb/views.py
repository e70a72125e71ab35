"""SQL views that dashboards can rely on (documented in README.md, "Views").

* ``collaborations`` — one row per pair of entities and kind of collaboration: ``kind`` is
  ``COOPERATES_WITH`` (either direction; ``via_group_id``/``via_group`` null) or
  ``shared membership`` (both are MEMBER_OF / LEADS of ``via_group``). The pair is ordered
  (``entity_a_id`` < ``entity_b_id``); ``relations`` and ``documents`` count what supports it;
  ``first_date`` / ``last_date`` are the earliest and latest dates of those documents.
* ``memberships`` — one row per member (or leader) and group: ``role`` ``member`` (MEMBER_OF) or
  ``leads`` (LEADS), counts, dates and one evidence sentence.
* ``entity_summary`` — one row per entity: aliases (joined with ``|``), documents, mentions,
  relations out and in, collaborators, first and last document date.
* ``metrics_with_dates`` — metrics with the entity's name and type, the document's source and
  date, and ``date``: the stated period when it is a year, else the document date.
* ``document_texts`` — ``id``, ``text``: a document's cleaned text, its paragraphs joined by
  newlines (null for a failed document), what ``documents.text`` held before schema version 4.

:func:`create_views` is idempotent and only rewrites a view whose definition changed.
"""

from __future__ import annotations

import sqlite3
from typing import Any

# Membership edges, used by two views: one row per relation.
_MEMBER_ROWS = """select r.subject_id as member_id, r.object_id as group_id, r.predicate,
       r.document_id, r.evidence, d.date
  from relations r left join documents d on d.id = r.document_id
  where r.predicate in ('MEMBER_OF', 'LEADS')"""

VIEWS: dict[str, str] = {
    "memberships": f"""
select m.member_id, e.name as member, e.type as member_type,
       m.group_id, g.name as group_name, g.type as group_type,
       case when sum(m.predicate = 'LEADS') > 0 then 'leads' else 'member' end as role,
       count(*) as relations, count(distinct m.document_id) as documents,
       min(m.date) as first_date, max(m.date) as last_date, min(m.evidence) as evidence
from ({_MEMBER_ROWS}) m
join entities e on e.id = m.member_id join entities g on g.id = m.group_id
group by m.member_id, m.group_id""",
    "collaborations": f"""
with pairs as (
  select min(r.subject_id, r.object_id) as a, max(r.subject_id, r.object_id) as b,
         'COOPERATES_WITH' as kind, null as via, r.document_id, r.id as relation_id
  from relations r
  where r.predicate = 'COOPERATES_WITH' and r.subject_id != r.object_id
  union all
  select x.member_id, y.member_id, 'shared membership', x.group_id, d.document_id, d.relation_id
  from (select distinct member_id, group_id from ({_MEMBER_ROWS})) x
  join (select distinct member_id, group_id from ({_MEMBER_ROWS})) y
    on x.group_id = y.group_id and x.member_id < y.member_id
  join (select id as relation_id, subject_id, object_id, document_id from relations
        where predicate in ('MEMBER_OF', 'LEADS')) d
    on d.object_id = x.group_id and d.subject_id in (x.member_id, y.member_id)
)
select p.a as entity_a_id, ea.name as entity_a, ea.type as entity_a_type,
       p.b as entity_b_id, eb.name as entity_b, eb.type as entity_b_type,
       p.kind, p.via as via_group_id, g.name as via_group,
       count(distinct p.relation_id) as relations, count(distinct p.document_id) as documents,
       min(doc.date) as first_date, max(doc.date) as last_date
from pairs p
join entities ea on ea.id = p.a join entities eb on eb.id = p.b
left join entities g on g.id = p.via
left join documents doc on doc.id = p.document_id
group by p.a, p.b, p.kind, p.via""",
    "entity_summary": """
select e.id, e.name, e.type, e.local_to,
       (select group_concat(alias, '|') from (select alias from aliases a where a.entity_id = e.id order by alias))
         as aliases,
       (select count(distinct document_id) from (
          select document_id from mentions where entity_id = e.id
          union select document_id from relations where subject_id = e.id or object_id = e.id)) as documents,
       (select count(*) from mentions where entity_id = e.id) as mentions,
       (select count(*) from relations where subject_id = e.id) as relations_out,
       (select count(*) from relations where object_id = e.id) as relations_in,
       (select count(*) from collaborations c where c.entity_a_id = e.id or c.entity_b_id = e.id) as collaborations,
       (select min(d.date) from documents d where d.id in (
          select document_id from mentions where entity_id = e.id
          union select document_id from relations where subject_id = e.id or object_id = e.id)) as first_date,
       (select max(d.date) from documents d where d.id in (
          select document_id from mentions where entity_id = e.id
          union select document_id from relations where subject_id = e.id or object_id = e.id)) as last_date
from entities e""",
    "metrics_with_dates": """
select m.id, m.subject_id, e.name as entity, e.type as entity_type, m.subject_text, m.indicator,
       m.value, m.unit, m.period, m.raw,
       case when m.period glob '[0-9][0-9][0-9][0-9]*' then m.period else d.date end as date,
       d.date as document_date, m.document_id, d.source, d.title, m.paragraph_id
from metrics m
left join entities e on e.id = m.subject_id
left join documents d on d.id = m.document_id""",
    # A document's cleaned text is not stored twice: it is its paragraphs joined (kb.schema.document_text).
    "document_texts": """
select d.id, case when d.status = 'ok' then ifnull(
         (select group_concat(p.text, char(10)) from (
            select text from paragraphs where document_id = d.id order by idx) p), '') end as text
from documents d""",
}

# entity_summary reads collaborations, so it comes after it.
ORDER = ["memberships", "collaborations", "entity_summary", "metrics_with_dates", "document_texts"]


def _connection(db: Any) -> sqlite3.Connection:
    if isinstance(db, sqlite3.Connection):
        return db
    if hasattr(db, "conn"):  # sqlite_utils.Database
        return db.conn
    if hasattr(db, "db"):  # kb.store.Store
        return db.db.conn
    raise TypeError(f"create_views needs a sqlite3 connection or sqlite_utils.Database, not {type(db)!r}")


def _wanted() -> dict[str, str]:
    return {name: f"CREATE VIEW {name} AS{VIEWS[name]}" for name in ORDER}


def views_outdated(db: Any) -> bool:
    """True when a view is missing or its stored definition is not the current one (reads only)."""
    conn = _connection(db)
    existing = {name: sql for name, sql in conn.execute("select name, sql from sqlite_master where type = 'view'")}
    return any(existing.get(name) != sql for name, sql in _wanted().items())


def create_views(db: Any) -> list[str]:
    """Create (or update) the dashboard views; return the names of the views written.

    ``db`` is a ``sqlite_utils.Database``, a ``sqlite3.Connection`` or a Store. A view whose stored
    definition is already current is left alone, so calling this on every open costs nothing and
    does not disturb concurrent readers.
    """
    conn = _connection(db)
    written: list[str] = []
    if not views_outdated(conn):
        return written
    wanted = _wanted()
    own = not conn.in_transaction  # inside the schema's transaction, or one of its own
    if own:
        conn.execute("BEGIN IMMEDIATE")
    try:
        # Any change: drop every view (dependents first) and create them all again, in order.
        for name in reversed(ORDER):
            conn.execute(f"drop view if exists {name}")
        for name in ORDER:
            conn.execute(wanted[name])
            written.append(name)
    except BaseException:
        if own:
            conn.execute("ROLLBACK")
        raise
    if own:
        conn.execute("COMMIT")
    return written
