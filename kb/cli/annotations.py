"""``kb import-annotations``: a file reviewed in doccano or Label Studio (exported with ``kb export
doccano|label-studio``) back into the knowledge base as corrections, and out as training records
(kb/annotation_io.py)."""

from __future__ import annotations

import json

import click

from ..annotation_io import FORMATS, AnnotationError, import_annotations
from ..connection import db_option
from ..corrections import Correction, CorrectionError
from .corrections import open_for_corrections


def register(main: click.Group) -> None:
    """Add ``kb import-annotations`` to the ``kb`` group."""

    @main.command("import-annotations")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default=None,
        help="The tool that wrote FILE (default: a JSON list is Label Studio, JSON lines doccano).",
    )
    @click.option(
        "--training",
        type=click.Path(dir_okay=False),
        default=None,
        metavar="OUT.jsonl",
        help="Also write the reviewed documents as training records (annotation-guide format).",
    )
    @click.option(
        "--author", default=None, help="Who reviewed (default: the annotator the file names, else your login name)."
    )
    @click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
    @db_option
    def import_annotations_command(
        file: str, fmt: str | None, training: str | None, author: str | None, as_json: bool, db_path: str
    ) -> None:
        """Turn a reviewed doccano / Label Studio export into corrections: a span relabelled is a retype
        in that document, an entity with every span deleted a reject there, an arrow deleted a relation
        reject, an arrow added between stored entities a relation add. Spans that are no stored entity
        are reported and kept in the training records."""
        store = open_for_corrections(db_path)
        try:
            summary = import_annotations(store, file, fmt, training, author)
        except (AnnotationError, CorrectionError) as exc:
            raise click.ClickException(str(exc)) from exc
        if as_json:
            click.echo(json.dumps(summary, ensure_ascii=False, indent=1))
            return
        click.echo(
            f"{summary['documents']} document(s) compared ({summary['format']}): "
            f"{len(summary['corrections'])} correction(s) recorded, "
            f"{summary['documents_changed']} stored document change(s)"
        )
        for record in summary["corrections"]:
            click.echo(f"  {record['id']}: {Correction(**record).describe()}")
        if training:
            click.echo(f"{summary['training_records']} training record(s) -> {training}")
        if summary["problems"]:
            click.echo(f"{len(summary['problems'])} not applied:")
            for problem in summary["problems"]:
                click.echo(f"  {problem}")
