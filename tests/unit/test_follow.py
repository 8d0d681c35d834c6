"""``layerforge follow`` and the run-log reader: live lines, truncated and broken lines, a rewritten file."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from app.core.run_log import RunLogReader, as_progress, history


def start(epochs: int = 2, batches: int = 3) -> dict[str, Any]:
    return {"event": "start", "model": "MLP", "dataset": "iris", "epochs": epochs, "batches": batches,
            "batch_size": 16, "device": "CPU (jax)", "processes": 1, "time": 0.0}


def batch(epoch: int, number: int, epochs: int = 2, batches: int = 3) -> dict[str, Any]:
    return {"event": "batch", "epoch": epoch, "epochs": epochs, "batch": number, "batches": batches,
            "logs": {"loss": 1.0 / (epoch + number), "accuracy": 0.5}, "time": 0.1}


def epoch_end(epoch: int, epochs: int = 2) -> dict[str, Any]:
    return {"event": "epoch", "epoch": epoch, "epochs": epochs, "time": 0.2,
            "logs": {"loss": 0.9 / epoch, "accuracy": 0.6, "val_loss": 0.8 / epoch, "val_accuracy": 0.7,
                     "learning_rate": 0.01}}


def end(status: str = "finished", reason: str = "finished 2 epochs") -> dict[str, Any]:
    return {"event": "end", "status": status, "reason": reason, "epochs_run": 2, "seconds": 3.5,
            "test_metrics": {"accuracy": 0.875, "loss": 0.3}, "time": 3.5}


def whole_run() -> list[dict[str, Any]]:
    return [start(), *[r for e in (1, 2) for r in (*[batch(e, b) for b in (1, 2, 3)], epoch_end(e))], end()]


def lines(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def test_a_finished_run_is_shown_as_train_shows_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "metrics.jsonl"
    log.write_text(lines(whole_run()))
    assert main(["follow", str(log)]) == 0
    out, err = capsys.readouterr()
    assert "run started: MLP, iris, CPU (jax)" in err
    assert "epoch 1/2  loss 0.9  accuracy 0.6  val_loss 0.8  val_accuracy 0.7  lr 0.01" in err
    assert "epoch 2/2  loss 0.45" in err
    assert "finished 2 epochs in 3.5 s" in out and "accuracy" in out and "0.8750" in out


def test_a_killed_run_truncated_mid_line_is_read_up_to_the_last_whole_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "metrics.jsonl"
    log.write_text(lines(whole_run()[:6]) + '{"event": "batch", "epoch": 2, "epo')
    assert main(["follow", str(log), "--no-wait"]) == 0
    out, err = capsys.readouterr()
    assert "epoch 1/2  loss" in err and "epoch 2/2  loss" not in err  # the bar is at epoch 2, which never ended
    assert "last line is incomplete" in err and "Traceback" not in err
    assert "has not ended yet (1 epoch(s) so far)" in out


def test_failed_and_stopped_runs_give_their_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "metrics.jsonl"
    log.write_text(lines([start(), end("failed", "ValueError: bad shapes")]))
    assert main(["follow", str(log)]) == 1
    assert "the run failed: ValueError: bad shapes" in capsys.readouterr().err
    log.write_text(lines([start(), epoch_end(1), end("stopped", "stopped with Ctrl+C")]))
    assert main(["follow", str(log)]) == 130
    assert main(["follow", str(tmp_path / "missing.jsonl"), "--no-wait"]) == 2
    assert main(["follow", str(tmp_path)]) == 2


def test_follow_shows_lines_as_they_arrive_until_the_end_line(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "metrics.jsonl"  # not there yet: follow waits for it
    records = whole_run()
    shown = threading.Event()
    result: dict[str, int] = {}

    def follow() -> None:
        result["code"] = main(["follow", str(log)])
        shown.set()

    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    probe = RunLogReader(log)
    with open(log, "w", encoding="utf-8") as fh:
        for record in records:
            text = json.dumps(record) + "\n"
            fh.write(text[:10])  # a line arrives in two writes: the reader must wait for its end
            fh.flush()
            assert probe.poll() == [] or record is records[0]
            fh.write(text[10:])
            fh.flush()
            assert probe.poll()[-1] == record
    assert shown.wait(30), "follow ends at the end line"
    reader.join(5)
    assert result["code"] == 0
    out, err = capsys.readouterr()
    assert "epoch 2/2" in err and "finished 2 epochs" in out


def test_the_reader_skips_broken_lines_and_starts_over_when_a_new_run_rewrites_the_file(tmp_path: Path) -> None:
    log = tmp_path / "metrics.jsonl"
    log.write_text(lines(whole_run()[:5]) + "not json\n" + '{"event": "unknown"}\n' + '["a list"]\n')
    reader = RunLogReader(log)
    assert [r["event"] for r in reader.poll()] == ["start", "batch", "batch", "batch", "epoch"]
    assert reader.skipped == 3
    assert history(reader.records) == {"loss": [0.9], "accuracy": [0.6], "val_loss": [0.8], "val_accuracy": [0.7],
                                       "learning_rate": [0.01]}
    log.write_text(lines([start(epochs=5)]))  # a new run: shorter than what was read
    assert [r["epochs"] for r in reader.poll()] == [5]
    assert reader.restarted == 1 and len(reader.records) == 1


def test_values_from_the_log_are_only_numbers(tmp_path: Path) -> None:
    progress = as_progress({"event": "batch", "epoch": "x", "epochs": 3, "batch": 2, "batches": 0,
                            "logs": {"loss": 0.5, "name": "\x1b[31mred", "flag": True}})
    assert (progress.epoch, progress.epochs, progress.batch, progress.batches) == (1, 3, 2, 1)
    assert progress.logs == {"loss": 0.5}
