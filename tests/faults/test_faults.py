"""Ingest survives faults: kill -9 mid-run, two writers at once, crashing stages, dying workers, bad inputs."""

from __future__ import annotations

import fcntl
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kb import ingest as ingest_module
from kb.ingest import ingest
from kb.store import Store
from pipeline import stages as stages_module
from tests.conftest import ROOT, seed
from tests.integration.test_ingest_incremental import lines

KB = [sys.executable, "-m", "kb.cli", "ingest"]


def small_corpus(folder: Path, n: int) -> Path:
    """``n`` short newsletters: windows of seed 003's paragraphs, each with its own first line."""
    folder.mkdir(parents=True, exist_ok=True)
    paras = lines(seed("003"))
    for i in range(n):
        body = [paras[(i + k) % len(paras)] for k in range(3)]
        (folder / f"issue{i:03d}.txt").write_text(
            f"第{i + 1}期 工作简报\n\n" + "\n\n".join(body) + "\n", encoding="utf-8"
        )
    return folder


def check_consistent(db: Path, n: int) -> None:
    """Every file stored exactly once, whole; the database intact."""
    conn = sqlite3.connect(db)
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert conn.execute("pragma foreign_key_check").fetchall() == []
    rows = conn.execute(
        "select source, n_paragraphs, (select count(*) from paragraphs p where p.document_id = d.id) from documents d"
    ).fetchall()
    assert len(rows) == n and len({source for source, _, _ in rows}) == n
    assert all(expected == stored for _, expected, stored in rows)  # no half-written document
    conn.close()


def _count(db: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        return conn.execute("select count(*) from documents").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_kill_9_mid_run_then_run_again_loses_and_duplicates_nothing(tmp_path):
    corpus, db = small_corpus(tmp_path / "in", 14), tmp_path / "kb.sqlite"
    run = subprocess.Popen(
        KB + [str(corpus), "--db", str(db), "-q", "--workers", "1"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 120
    while _count(db) < 3 and time.time() < deadline and run.poll() is None:
        time.sleep(0.05)
    run.send_signal(signal.SIGKILL)
    run.wait()
    stored = _count(db)
    assert 3 <= stored < 14, "the run was not killed mid-way"
    again = subprocess.run(
        KB + [str(corpus), "--db", str(db), "-q", "--workers", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr
    assert f"{14 - stored} added, {stored} unchanged, 0 failed" in again.stdout
    check_consistent(db, 14)


def test_two_ingests_at_once_one_waits_and_both_succeed(tmp_path):
    # Deterministic: the test holds the ingest lock until both runs have said they are waiting for
    # it, so they start on a new database at the same moment and then take turns.
    corpus, db = small_corpus(tmp_path / "in", 4), tmp_path / "kb.sqlite"
    with open(f"{db}.ingest.lock", "a+") as held:
        fcntl.lockf(held, fcntl.LOCK_EX)  # the same kind of lock kb ingest takes (POSIX)
        logs = [tmp_path / f"err{i}.txt" for i in range(2)]
        runs = [
            subprocess.Popen(
                KB + [str(corpus), "--db", str(db), "-q", "--workers", "1"],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=log.open("w"),
                text=True,
            )
            for log in logs
        ]
        deadline = time.time() + 120
        while not all("waiting" in log.read_text() for log in logs):
            assert time.time() < deadline and all(run.poll() is None for run in runs), [log.read_text() for log in logs]
            time.sleep(0.1)
        fcntl.lockf(held, fcntl.LOCK_UN)
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [log.read_text() for log in logs]
    summaries = sorted(out.splitlines()[0] for out in outputs)
    assert summaries[0].startswith("0 added, 4 unchanged") and summaries[1].startswith("4 added, 0 unchanged")
    check_consistent(db, 4)


def test_a_crashing_stage_fails_that_document_and_the_rest_go_on(tmp_path, monkeypatch):
    corpus = small_corpus(tmp_path / "in", 3)
    real = dict(stages_module.STAGES)["extract"]

    def fragile(doc, known=None):
        if doc.source.endswith("issue001.txt"):
            raise ValueError("a bug in a recognizer")
        return real(doc, known)

    stages = [(name, fragile if name == "extract" else stage) for name, stage in stages_module.STAGES]
    monkeypatch.setattr(stages_module, "STAGES", stages)
    store = Store(tmp_path / "kb.sqlite")
    report = ingest(store, [corpus])
    assert (report.added, report.failed) == (2, 1)
    (failure,) = store.failures()
    assert failure["source"].endswith("issue001.txt")
    assert failure["error"].startswith("extract stage crashed: ValueError: a bug in a recognizer")


def test_a_worker_process_that_dies_fails_only_its_document(tmp_path, monkeypatch):
    corpus = small_corpus(tmp_path / "in", 4)
    real = ingest_module.process_document

    def deadly(doc):
        if doc.source.endswith("issue002.txt"):
            os._exit(137)  # what the kernel's OOM killer leaves behind
        return real(doc)

    monkeypatch.setattr(ingest_module, "process_document", deadly)  # inherited by forked workers
    store = Store(tmp_path / "kb.sqlite")
    report = ingest(store, [corpus], workers=2)
    assert (report.added, report.failed) == (3, 1)
    (failure,) = store.failures()
    assert failure["source"].endswith("issue002.txt") and "worker process died" in failure["error"]


def bad_inputs(folder: Path) -> dict[str, str]:
    """Files that cannot become documents, with the words their recorded error must contain."""
    folder.mkdir()
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 64)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "only_noise.txt").write_text("图片\n\n责任编辑：王\n", encoding="utf-8")
    (folder / "latin1.txt").write_bytes("Ã©tÃ© ÿþ ".encode("latin-1") * 40 + bytes([0x81, 0xFF, 0xFE, 0x80]) * 50)
    with open(folder / "huge.txt", "wb") as handle:  # 50 MB of text
        handle.write(("党建引领产业集群发展。" * 1000 + "\n").encode("utf-8") * 1700)
    (folder / "nested.html").write_text("<div>" * 200_000 + "党建" + "</div>" * 200_000, encoding="utf-8")
    os.symlink(folder / "loop_b.txt", folder / "loop_a.txt")
    os.symlink(folder / "loop_a.txt", folder / "loop_b.txt")
    return {
        "binary.txt": "binary",
        "empty.txt": "empty file",
        "only_noise.txt": "no text left after cleaning",
        "latin1.txt": "undecodable",
        "huge.txt": "file too large for one document",
        "nested.html": "nested too deeply",
        "loop_a.txt": "symbolic links",
        "loop_b.txt": "symbolic links",
    }


def test_bad_inputs_each_get_a_clear_recorded_error(tmp_path):
    expected = bad_inputs(tmp_path / "bad")
    (tmp_path / "bad" / "broken.html").write_text(
        "<html><body><p>金山工业区党工委召开会议<div><b>部署党建工作，<i>推进产业集群发展。</p></span>"
        "<table><tr><td>未闭合",
        encoding="utf-8",
    )
    store = Store(tmp_path / "kb.sqlite")
    report = ingest(store, [tmp_path / "bad" / name for name in [*expected, "broken.html"]])
    errors = {Path(row["source"]).name: row["error"] for row in store.failures()}
    for name, words in expected.items():
        assert words in errors.get(name, ""), (name, errors.get(name))
    assert report.failed == len(expected) and report.added == 1  # broken HTML is still text
    assert "推进产业集群发展" in store.db.execute("select text from document_texts where text > ''").fetchone()[0]
    assert ingest(store, [tmp_path / "bad" / "huge.txt"]).unchanged == 1  # keyed by content: not read again


def test_an_unreadable_file_is_recorded_with_permission_denied(tmp_path):
    """chmod 000 does not stop root, so as root the ingest runs as an unprivileged user (nobody)."""
    folder = tmp_path / "perm"
    folder.mkdir()
    secret = folder / "secret.txt"
    secret.write_text(seed("003").read_text(encoding="utf-8"), encoding="utf-8")
    secret.chmod(0)
    db = folder / "kb.sqlite"
    as_user = None
    if os.geteuid() == 0:
        import pwd

        nobody = pwd.getpwnam("nobody")
        for path in (tmp_path, folder):
            path.chmod(0o777)
        as_user = lambda: (os.setgid(nobody.pw_gid), os.setuid(nobody.pw_uid))  # noqa: E731
        try:
            subprocess.run(
                [sys.executable, "-c", "import kb.ingest"],
                cwd=ROOT,
                preexec_fn=as_user,
                check=True,
                capture_output=True,
                timeout=120,
            )
        except (OSError, subprocess.CalledProcessError):
            pytest.skip(
                "running as root (chmod 000 does not stop root) and this Python or repository is not "
                "usable by an unprivileged user to test with"
            )
    run = subprocess.run(
        KB + [str(secret), "--db", str(db), "-q", "--workers", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=as_user,
    )
    assert run.returncode == 1, run.stderr
    assert "Permission denied" in run.stderr
    conn = sqlite3.connect(db)
    assert conn.execute("select status, error from documents").fetchall() == [
        ("failed", "cannot read: Permission denied")
    ]


def test_anything_read_raises_becomes_a_failed_document(tmp_path, monkeypatch):
    """RecursionError, MemoryError, ... from the read stage (not ours to change) are caught and named."""
    path = small_corpus(tmp_path / "in", 1) / "issue000.txt"
    for exc, words in (
        (RecursionError("maximum recursion depth exceeded"), "RecursionError: structure nested too deeply"),
        (MemoryError(), "MemoryError"),
    ):

        def explode(_path, exc=exc):
            raise exc

        monkeypatch.setattr(ingest_module, "read", explode)
        doc = ingest_module.process_path(path)
        assert not doc.ok and doc.error.startswith("read stage crashed: " + words)
        assert len(doc.sha256) == 64  # still keyed by content


def test_a_document_over_the_time_budget_is_recorded_failed_and_the_run_goes_on(tmp_path):
    corpus, db = small_corpus(tmp_path / "in", 2), tmp_path / "kb.sqlite"
    run = subprocess.run(
        KB + [str(corpus), "--db", str(db), "-q", "--workers", "1", "--doc-timeout", "0.001"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    conn = sqlite3.connect(db)
    errors = [error for (error,) in conn.execute("select error from documents where status = 'failed'")]
    assert len(errors) == 2 and all("processing took longer than" in e for e in errors), errors


def _processes_with(marker: str) -> list[int]:
    """Pids of live processes whose command line contains ``marker`` (a unique database path)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
                state = (entry / "stat").read_text().split()[2]
            except OSError:
                continue
            if marker in cmdline and state != "Z":
                pids.append(int(entry.name))
    return pids


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc (Linux)")
def test_kill_9_of_an_ingest_leaves_no_worker_and_no_lock(tmp_path):
    corpus, db = small_corpus(tmp_path / "in", 14), tmp_path / "kb-killed.sqlite"
    run = subprocess.Popen(
        KB + [str(corpus), "--db", str(db), "-q", "--workers", "2"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 120
    while len(_processes_with(str(db))) < 3 and time.time() < deadline and run.poll() is None:
        time.sleep(0.05)  # the writer and its two workers are up
    assert run.poll() is None, "the ingest ended before it could be killed"
    run.send_signal(signal.SIGKILL)
    run.wait()
    deadline = time.time() + 15
    while _processes_with(str(db)) and time.time() < deadline:
        time.sleep(0.1)
    assert _processes_with(str(db)) == [], "workers outlived their killed writer"
    again = subprocess.run(
        KB + [str(corpus), "--db", str(db), "-q", "--workers", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr
    check_consistent(db, 14)


def test_kb_extract_and_kb_ingest_refuse_deep_html_the_same_way(tmp_path):
    from click.testing import CliRunner

    from kb.cli import main

    page = tmp_path / "deep.html"
    page.write_text("<div>" * 100_000 + "党建联盟" + "</div>" * 100_000, encoding="utf-8")
    started = time.time()
    extracted = CliRunner().invoke(main, ["extract", str(page)])
    assert "nested too deeply" in extracted.output and extracted.exit_code == 1
    store = Store(tmp_path / "kb.sqlite")
    assert ingest(store, [page]).failed == 1
    assert "nested too deeply" in store.failures()[0]["error"]
    assert time.time() - started < 60
