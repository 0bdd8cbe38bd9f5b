"""What a run trains on (the record's ``device``) and the GPU preflight of an array element.

This machine's TensorFlow is the CPU-only wheel, so the preflight's real failure is tested
here end to end (an element whose profile asks for a GPU trains nothing and says why, in
``error.json`` and ``expact status``); the cause analysis is also tested on stated facts.
"""

from __future__ import annotations

import json

import pytest
import yaml

from toolkit.cli import main
from toolkit.training.device import GpuUnavailable, _gpu_causes, device_record, gpu_preflight


def test_the_device_record_names_this_cpu():
    record = device_record()
    assert record["kind"] == "cpu" and record["gpus"] == []
    assert record["built_with_cuda"] is False and record["cuda"] is None
    assert record["cpu"]["model"] and record["cpu"]["cores"] >= 1
    json.dumps(record)  # goes into record.json as it is


def test_preflight_passes_when_no_gpu_is_asked_for():
    assert gpu_preflight(0)["kind"] == "cpu"


def test_preflight_refuses_a_cpu_only_tensorflow():
    with pytest.raises(GpuUnavailable, match="asks for 1 GPU.*sees 0.*CPU-only build"):
        gpu_preflight(1)


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({"in_container": True, "nvidia_libs_bound": False}, "without --nv"),
        ({"nvidia_devices": False}, "no /dev/nvidia<N>"),
        ({"cuda_visible": ""}, "CUDA_VISIBLE_DEVICES=''"),
        ({}, "found no usable GPU"),
    ],
)
def test_preflight_causes(facts, expected):
    base = {
        "built_with_cuda": True,
        "in_container": False,
        "nvidia_devices": True,
        "nvidia_libs_bound": True,
        "cuda_visible": None,
    }
    causes = _gpu_causes(**(base | facts))
    assert len(causes) == 1 and expected in causes[0]


def test_an_element_asking_for_a_gpu_fails_before_training(tmp_path, reference_data, capsys):
    config = tmp_path / "sweep.yaml"
    pfm = str(reference_data / "pfm_vertebrates.txt")
    config.write_text(
        yaml.safe_dump(
            {
                "task": "task1",
                "name": "gpu",
                "models": ["cnn-deep"],
                "activations": ["relu", "exponential"],
                "data": {"generate": {"n_seq": 200, "pfm": pfm}},
                "train": {"epochs": 1},
            }
        )
    )
    profile = tmp_path / "gpu.yaml"
    profile.write_text(yaml.safe_dump({"gpus_per_node": 1, "runs_per_element": 2}))
    results = tmp_path / "results"
    args = ["submit", str(config), "--cluster", "local", "--profile", str(profile)]
    assert main([*args, "--results", str(results)]) == 1
    for run in ("cnn-deep_relu_0", "cnn-deep_exponential_0"):
        folder = results / "runs" / run
        error = json.loads((folder / "error.json").read_text())["error"]
        assert (
            error.startswith("GPU preflight: the profile asks for 1 GPU(s)") and "CPU-only" in error
        )
        assert not (folder / "weights.h5").exists() and not (folder / "checkpoint").exists()
    capsys.readouterr()
    main(["status", str(results)])
    assert "FAILED cnn-deep_relu_0: GPU preflight" in capsys.readouterr().out
