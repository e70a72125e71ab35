"""The ``kb`` command line: the group, and the commands that build, read and score the knowledge base
(ingest, stats, search, show, failures, extract, eval, eval-annotated). Each command mirrors a function of
:mod:`kb.store` or :mod:`kb.ingest`; exploring, exporting and serving are in explore.py, corrections in
corrections.py, the doccano / Label Studio import in annotations.py."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import click

from pipeline.resources import ResourceMissing

from ..connection import KnowledgeBaseMissing, db_option, describe_sqlite_error

try:
    from ..store import Store, StoreError
except ResourceMissing as exc:  # the rules load their word lists at import: a broken install stops here
    raise SystemExit(f"Error: {exc}") from None


def open_store(db_path: str, write: bool = False) -> Store:
    """The knowledge base for a command: read-only unless ``write`` (only ``kb ingest`` writes)."""
    try:
        return Store(db_path, readonly=not write)
    except (StoreError, KnowledgeBaseMissing) as exc:
        raise click.ClickException(str(exc)) from exc


class KbGroup(click.Group):
    """The ``kb`` group: a data file missing from the install is a one-line error, not a traceback."""

    def invoke(self, ctx: click.Context):
        from pipeline.resources import ResourceMissing

        try:
            return super().invoke(ctx)
        except ResourceMissing as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=KbGroup)
@click.version_option(package_name="cluster-kb")
def main() -> None:
    """cluster-kb: a knowledge base of party building in industrial clusters, from Chinese newsletters."""


def genre_option(command):
    """``--genre news|newsletter``: which recognizers have the last word (see README, "Genres")."""

    def set_genre(ctx, param, value):
        if value:  # the worker processes read it from the environment
            import os

            os.environ["KB_GENRE"] = value
        return value

    return click.option(
        "--genre",
        type=click.Choice(["news", "newsletter"]),
        default=None,
        envvar="KB_GENRE",
        callback=set_genre,
        expose_value=False,
        help="What the texts are. news (default): the learned CRF decides, as measured "
        "on news items; newsletter: the rules and the HanLP model alone, names kept "
        "whole, as measured on party-building newsletters.",
    )(command)


@main.command()
# exists: a path that is not there is a typing error, refused before anything is stored;
# readable=False: a file that is there but cannot be read is recorded as a failed document and
# the rest are ingested (click's own check would abort the whole run).
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, readable=False))
@db_option
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option(
    "--workers",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Processes for the per-document stages (default: the number of cores).",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "dask", "ray"]),
    default="local",
    show_default=True,
    help="Where the per-document stages run: a local process pool, or a Dask or Ray cluster "
    "(optional extras: pip install 'cluster-kb[dask]').",
)
@click.option(
    "--address",
    default=None,
    help="Scheduler (dask: tcp://HOST:8786) or head (ray: HOST:6379) of a running cluster; "
    "default: start a local one with --workers workers.",
)
@click.option(
    "--ocr-lang",
    default=None,
    envvar="KB_OCR_LANG",
    help="Tesseract language for scans (chi_sim, chi_tra, chi_sim+chi_tra); default: detected.",
)
@click.option(
    "--doc-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=120,
    show_default=True,
    help="Seconds one document may take; one that takes longer is recorded failed and the run goes on (local engine).",
)
@click.option(
    "--corrections",
    "corrections_file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Apply the corrections in this file first (JSON lines from kb corrections export).",
)
@genre_option
def ingest(
    paths: tuple[str, ...],
    db_path: str,
    quiet: bool,
    workers: int | None,
    engine: str,
    address: str | None,
    ocr_lang: str | None,
    doc_timeout: float,
    corrections_file: str | None,
) -> None:
    """Ingest files and folders (.txt .md .html .pdf .png .jpg .tif, recursively) into the knowledge base.

    Content already stored (same sha256) is skipped; a file whose content changed replaces what
    was stored for its path. Safe to interrupt and run again. Exit status 1 if a document failed.
    """
    import os

    from tqdm import tqdm

    if ocr_lang:
        os.environ["KB_OCR_LANG"] = ocr_lang  # read by pipeline.ocr, in the worker processes too

    from pipeline import resources
    from pipeline.read import iter_paths

    from ..engines import EngineMissing
    from ..ingest import ingest as run_ingest

    resources.check()  # a broken install stops here, before any document is recorded as failed
    store = open_store(db_path, write=True)
    if corrections_file:
        added, _ = _import_corrections(store, corrections_file)
        click.echo(f"{added} correction(s) added from {corrections_file}", err=True)
    workers = workers or os.cpu_count() or 1
    total = sum(1 for _ in iter_paths(paths))  # a walk over names only: the files are read once, later
    with tqdm(total=total, unit="doc", disable=quiet, file=sys.stderr, smoothing=0.1) as bar:
        try:
            report = run_ingest(
                store,
                paths,
                progress=lambda _path: bar.update(1),
                workers=workers,
                engine=engine,
                address=address,
                doc_timeout=doc_timeout,
                on_wait=lambda message: click.echo(message, err=True),
            )
        except EngineMissing as exc:
            raise click.ClickException(str(exc)) from exc
        except StoreError as exc:
            raise click.ClickException(str(exc)) from exc
        except sqlite3.OperationalError as exc:
            raise click.ClickException(
                f"{db_path}: {describe_sqlite_error(exc)} (documents stored so far are kept; run again to go on)"
            ) from exc
    click.echo(f"{report.added} added, {report.unchanged} unchanged, {report.failed} failed -> {db_path}")
    for source, error in report.failures:
        click.echo(f"  failed: {source}: {error}", err=True)
    _print_stats(store)
    if report.failed:
        sys.exit(1)


def _print_stats(store: Store) -> None:
    for key, value in store.stats().items():
        click.echo(f"{key:>22}: {value}")


@main.command()
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stats(db_path: str, as_json: bool) -> None:
    """Counts of documents, paragraphs, duplicates, entities, relations and metrics."""
    store = open_store(db_path)
    if as_json:
        click.echo(json.dumps(store.stats()))
    else:
        _print_stats(store)


@main.command()
@click.argument("query")
@db_option
@click.option("--limit", default=20, show_default=True)
@click.option(
    "--since",
    default=None,
    metavar="DATE",
    help="Only paragraphs of documents dated on or after DATE (2021, 2021-05, 2021-05-05); with "
    "--since or --until, paragraphs of undated documents are left out.",
)
@click.option(
    "--until",
    default=None,
    metavar="DATE",
    help="Only paragraphs of documents dated on or before DATE (2021 includes all of 2021).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
def search(query: str, db_path: str, limit: int, since: str | None, until: str | None, as_json: bool) -> None:
    """Paragraphs that contain QUERY (any length: 党委 works), the same search as the web page's."""
    from .explore import _check_dates

    _check_dates(since, until)
    try:
        rows = open_store(db_path).search(query, limit=limit, since=since, until=until)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if not rows:
        click.echo(f"no paragraph matches {query!r}" + (" in that date range" if since or until else ""), err=True)
        sys.exit(1)
    for row in rows:
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            mark = " [duplicate]" if row["duplicate_of"] else ""
            click.echo(
                f"[doc {row['document_id']} ¶{row['idx']}]{mark} {row['date'] or '(no date)'}  "
                f"{row['title'] or row['source']}"
            )
            click.echo(f"    {row['text'][:200]}")


@main.command()
@click.argument("document")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--html", "as_html", is_flag=True, help="HTML with the entities highlighted (displaCy).")
def show(document: str, db_path: str, as_json: bool, as_html: bool) -> None:
    """Show a document's cleaned paragraphs (by id, path, file name or sha256 prefix); duplicates marked."""
    store = open_store(db_path)
    doc = store.find_document(document)
    if doc is None:
        raise click.ClickException(f"no document matches {document!r}")
    if as_html:
        from ..query.display import render_document

        click.echo(render_document(store, doc["id"]))
        return
    paragraphs = store.paragraphs(doc["id"])
    if as_json:
        doc = {k: v for k, v in doc.items() if k not in ("original",)}
        click.echo(json.dumps({"document": doc, "paragraphs": paragraphs}, ensure_ascii=False, indent=1))
        return
    click.echo(
        f"# {doc['title'] or ''}\n{doc['source']}  date={doc['date']}  script={doc['script']}  "
        f"status={doc['status']}  sha256={(doc['sha256'] or '')[:12]}"
    )
    if doc["error"]:
        click.echo(f"error: {doc['error']}")
    if doc["warnings"]:
        for warning in json.loads(doc["warnings"]):
            click.echo(f"warning: {warning}")
    for para in paragraphs:
        if para["duplicate_of"]:
            where = "" if para["duplicate_document_id"] == doc["id"] else f"doc {para['duplicate_document_id']} "
            click.echo(
                f"\n[{para['idx']}] (duplicate of {where}¶{para['duplicate_idx']}, "
                f"similarity {para['similarity']}) {para['text'][:60]}…"
            )
        else:
            click.echo(f"\n[{para['idx']}]{' ##' if para['kind'] == 'heading' else ''} {para['text']}")


@main.command()
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
def failures(db_path: str, as_json: bool) -> None:
    """Documents that could not be ingested, with the reason."""
    rows = open_store(db_path).failures()
    for row in rows:
        click.echo(json.dumps(row, ensure_ascii=False) if as_json else f"{row['id']}\t{row['source']}\t{row['error']}")
    if not rows and not as_json:
        click.echo("no failed documents")


@main.command()
@click.argument("source", default="-", type=click.Path(allow_dash=True))
@click.option(
    "--lines",
    is_flag=True,
    help="Each input line is its own document; results stream out as lines are read, each with its line number.",
)
@genre_option
def extract(source: str, lines: bool) -> None:
    """Run the stages on raw text (FILE or - for standard input) without storing; print JSON lines.

    One object per document: {"text", "entities", "relations", "metrics"}; entity offsets index
    the printed "text" (the cleaned paragraphs joined by newlines). A document the stages refuse
    gets {"error": ...} instead. Exit status: 1 when the one document (without --lines) fails or
    the input cannot be read; with --lines a refused line is only its own record's "error" (the
    run goes on, exit status 0, a count on standard error), so a script tells the two apart.
    """
    from ..extraction import extract_text

    try:
        handle = sys.stdin.buffer if source == "-" else open(source, "rb")
    except OSError as exc:
        raise click.ClickException(f"cannot read {source}: {exc.strerror or exc}") from exc
    with handle:
        if lines:
            _extract_lines(handle, source)
            return
        from pipeline.read import decode

        try:
            text, _ = decode(handle.read())
        except OSError as exc:
            raise click.ClickException(f"cannot read {source}: {exc.strerror or exc}") from exc
        except ValueError as exc:
            raise click.ClickException(f"{source}: {exc}") from exc
    result = extract_text(text, source=source)
    click.echo(json.dumps(result, ensure_ascii=False))
    if "error" in result:
        sys.exit(1)


#: ``kb extract --lines`` works in batches of this many lines (or fewer at the end of the input).
LINE_BATCH = 64


def _extract_lines(handle, source: str) -> None:
    """Stream ``kb extract --lines``: lines read as they come, extracted a batch at a time, printed at once."""
    from pipeline.read import iter_lines

    from ..extraction import extract_texts

    failed = total = 0
    batch: list[tuple[int, str]] = []

    def flush() -> None:
        nonlocal failed
        for (number, _), result in zip(batch, extract_texts([text for _, text in batch], source=source), strict=False):
            failed += "error" in result
            click.echo(json.dumps({"line": number, **result}, ensure_ascii=False))
        sys.stdout.flush()
        batch.clear()

    try:
        for number, line in enumerate(iter_lines(handle), start=1):
            if not line.strip():
                continue
            total += 1
            batch.append((number, line))
            if len(batch) >= LINE_BATCH:
                flush()
    except OSError as exc:
        raise click.ClickException(f"cannot read {source}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        flush()
        raise click.ClickException(f"{source}: {exc}") from exc
    flush()
    if failed:
        click.echo(f'kb extract: {failed} of {total} lines gave no document (see their "error")', err=True)


@main.command(name="eval")
@click.argument("gold", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--corpus",
    default="corpus",
    show_default=True,
    type=click.Path(exists=True),
    help="The documents the gold file annotates.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@click.option("--layers", is_flag=True, help="Also score each entity recognizer layer alone and left out.")
@click.option(
    "--compare",
    "compare_data",
    type=click.Path(file_okay=False),
    help="Also compare rules only / model only / merged on the gold and on CLUENER2020 dev and "
    "MSRA test found under this data folder (e.g. ../shared/data).",
)
@click.option("--limit", type=int, default=0, help="With --compare: score only the first N sentences per corpus.")
@genre_option
def evaluate(gold: str, corpus: str, as_json: bool, layers: bool, compare_data: str | None, limit: int) -> None:
    """Ingest CORPUS into a fresh database and score entities, relations and metrics against GOLD.

    Matching: entities on name-or-alias and type; relations on subject, predicate and object by
    name-or-alias (COOPERATES_WITH either way round); metrics on value and unit. See kb/evaluate.py.
    """
    from ..evaluate import GoldFileError
    from ..extraction import evaluate_corpus, layer_contributions

    try:
        report, table = evaluate_corpus(gold, corpus)
    except GoldFileError as exc:
        raise click.ClickException(str(exc)) from exc
    if compare_data is not None:
        from ..ner_eval import compare_on_corpora, compare_on_gold, format_comparison

        gold_rows = compare_on_gold(gold, corpus)
        corpora = compare_on_corpora(Path(compare_data), limit=limit)
        report["compare"] = {"seed_gold": gold_rows, **corpora}
    click.echo(json.dumps(report, ensure_ascii=False, indent=1) if as_json else table)
    if compare_data is not None and not as_json:
        click.echo("\nentity systems side by side (exact span + label; CLUENER/MSRA in their own labels)")
        click.echo(format_comparison(gold_rows, corpora))
    if layers:
        click.echo(f"\n{'entity recognizer layers':<28}{'entity F1':>10}{'relation F1':>13}")
        for label, scores in layer_contributions(gold, corpus):
            click.echo(f"{label:<28}{scores['entities']:>10.3f}{scores['relations']:>13.3f}")


@main.command(name="eval-annotated")
@click.option(
    "--split",
    type=click.Choice(["train", "dev", "test"]),
    default="test",
    show_default=True,
    help="Which split of the annotated CCTV items (models/annotations) to score.",
)
@click.option(
    "--systems",
    default="rules only,learned only,shipped",
    show_default=True,
    help="Comma-separated systems to compare (kb/extraction.py SYSTEMS).",
)
@click.option("--limit", type=int, default=0, help="Score only the first N documents of the split.")
@click.option(
    "--only",
    type=click.Choice(["metrics"]),
    default=None,
    help="Score one stage alone: 'metrics' runs only the metric stage (no recognizers, "
    "seconds instead of minutes) and lists each document's missed and wrong metrics.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
def evaluate_annotated_command(split: str, systems: str, limit: int, only: str | None, as_json: bool) -> None:
    """Score the rules, the learned models and what ships on the annotated in-domain split.

    The texts come from ../shared/data/cctv_pool (not in the repository); each item is ingested as
    its own document and scored like ``kb eval`` (P/R/F1 per entity type, per predicate, metrics).
    With ``--only metrics`` the metric stage alone is scored, with the errors per document.
    """
    from pipeline.annotations import PoolMissing

    from ..extraction import SYSTEMS, evaluate_systems, format_systems

    if only == "metrics":
        from ..extraction import evaluate_annotated_metrics, format_metric_errors

        try:
            score, errors = evaluate_annotated_metrics(split, limit=limit)
        except PoolMissing as exc:
            raise click.ClickException(str(exc)) from exc
        if as_json:
            click.echo(json.dumps({"metrics": score, "errors": errors}, ensure_ascii=False, indent=1))
        else:
            click.echo(format_metric_errors(score, errors, split))
        return

    chosen = [name.strip() for name in systems.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in SYSTEMS]
    if unknown:
        raise click.ClickException(f"unknown system(s) {unknown}; choose from {list(SYSTEMS)}")
    try:
        reports = evaluate_systems(split, chosen, limit=limit)
    except PoolMissing as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(reports, ensure_ascii=False, indent=1))
    else:
        click.echo(f"annotated CCTV items, {split} split: P / R / F1 per row\n")
        click.echo(format_systems(reports))


# Exploration, export and serving commands live in their own module (kb/cli/explore.py).
from .explore import register as _register_explore  # noqa: E402

_register_explore(main)
# Correction commands (kb entity rename..., kb relation, kb corrections) in kb/cli/corrections.py.
from .corrections import import_file as _import_corrections  # noqa: E402
from .corrections import register as _register_corrections  # noqa: E402

_register_corrections(main)
# The doccano / Label Studio round trip (kb import-annotations) in kb/cli/annotations.py.
from .annotations import register as _register_annotations  # noqa: E402

_register_annotations(main)
