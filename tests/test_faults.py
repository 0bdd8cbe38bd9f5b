"""Fault hooks act only with EXPACT_TESTING=1, and a record says when they were active."""

from __future__ import annotations

import logging

import pytest

from toolkit import faults


def test_hooks_are_inert_without_the_testing_flag(monkeypatch, caplog):
    monkeypatch.delenv("EXPACT_TESTING", raising=False)
    monkeypatch.setenv("EXPACT_FAULT_INJECT", "*")
    monkeypatch.setenv("EXPACT_FAULT_KILL_RANK", "0@0")
    with caplog.at_level(logging.WARNING, logger="toolkit.faults"):
        assert faults.active() == {}
        faults.fail_run("cnn-deep_relu_0")  # does not raise
        faults.kill_rank(0, 0)  # does not kill this process
    assert "act only with EXPACT_TESTING=1" in caplog.text


def test_hooks_act_with_the_testing_flag(monkeypatch):
    monkeypatch.setenv("EXPACT_TESTING", "1")
    monkeypatch.setenv("EXPACT_FAULT_INJECT", "*_relu_*")
    monkeypatch.delenv("EXPACT_FAULT_KILL_RANK", raising=False)
    assert faults.active() == {"EXPACT_FAULT_INJECT": "*_relu_*"}
    faults.fail_run("cnn-deep_exponential_0")  # no match
    with pytest.raises(RuntimeError, match="fault injected by EXPACT_FAULT_INJECT"):
        faults.fail_run("cnn-deep_relu_0")


def test_a_failed_run_through_the_sweep_is_recorded(monkeypatch, tmp_path):
    from toolkit.config import RunSpec
    from toolkit.run_folder import RunFolder
    from toolkit.sweep import execute

    monkeypatch.setenv("EXPACT_TESTING", "1")
    monkeypatch.setenv("EXPACT_FAULT_INJECT", "*")
    spec = RunSpec(task="task1", sweep="s", model="cnn-deep", activation="relu", trial=0, seed=0)
    assert execute(spec, tmp_path, progress=False) is False
    run = RunFolder.of(tmp_path, spec)
    assert run.state(spec.spec_hash) == "failed"
    assert "fault injected" in run.read_error()["error"]
    assert not run.running.exists() and "fault injected" in run.log.read_text()
