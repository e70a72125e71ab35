"""The built wheel carries every data file the runtime reads; a missing one is an error, never an empty list."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from kb.cli import main
from pipeline import gazetteer, resources
from tests.conftest import ROOT

SENTENCE = "今年以来，南通市推动海门经济技术开发区党工委联合成立党建联盟，覆盖企业达1200余家。"


def test_the_installed_wheel_finds_its_lexicons_and_model(tmp_path):
    wheel_dir, target = tmp_path / "wheel", tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheel_dir),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (wheel,) = wheel_dir.glob("cluster_kb-*.whl")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    # Outside the checkout, with the installed copy first on the path: nothing can come from models/ here.
    env = {**os.environ, "PYTHONPATH": str(target)}
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "import pipeline, sys; from kb.cli import main; "
            "print(pipeline.__file__, file=sys.stderr); main(['extract', '-'])",
        ],
        input=SENTENCE,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr.strip().startswith(str(target))
    result = json.loads(run.stdout)
    found = {(e["text"], e["type"]) for e in result["entities"]}
    assert ("南通市", "REGION") in found  # from the admin-divisions gazetteer
    assert {(m["value"], m["unit"]) for m in result["metrics"]} == {(1200, "家")}  # the units list
    # The console script finds the command in kb/cli/, and the site's files ship in kb/web/ (issue #20).
    script = subprocess.run(
        [sys.executable, str(target / "bin" / "kb"), "serve", "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=600,
    )
    assert script.returncode == 0 and "Usage: kb serve" in script.stdout, script.stderr
    assert (target / "kb" / "web" / "static" / "map.html").is_file()
    assert (target / "kb" / "web" / "plugins" / "readonly.py").is_file()


def test_a_missing_data_file_is_an_error_not_an_empty_list(tmp_path, monkeypatch):
    empty = tmp_path / "models"
    (empty / "lexicons").mkdir(parents=True)
    monkeypatch.setattr(resources, "MODEL_ROOTS", (empty,))
    with pytest.raises(resources.ResourceMissing, match="ent_regions.txt"):
        resources.check()
    with pytest.raises(resources.ResourceMissing, match="word list missing"):
        gazetteer._lex_lines(empty / "lexicons" / "ent_regions.txt")
    result = CliRunner().invoke(main, ["ingest", str(ROOT / "corpus"), "--db", str(tmp_path / "kb.sqlite"), "-q"])
    assert result.exit_code == 1 and "data file missing" in result.output
    assert not (tmp_path / "kb.sqlite").exists()
