"""Static checks of the Apptainer side (seconds, no runtime needed): the rendered definitions
parse and pin what requirements.txt pins, build contexts, profiles naming an image, and the
exact ``apptainer exec`` command line an element runs with."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
import yaml

from toolkit.cli import main
from toolkit.cluster.profile import Profile, load_profile, parse_profile
from toolkit.cluster.submit import container_python, dry_run_script
from toolkit.config import RunSpec
from toolkit.containers import apptainer, definition
from toolkit.containers.definition import (
    BASES,
    CUDA_LIBRARIES,
    CUDA_WHEEL_LIBS,
    CUDA_WHEELS,
    HOROVOD_VERSION,
    MEME_VERSION,
    debian_mirror,
    image_requirements,
    read_pins,
    render,
    stage,
)
from toolkit.errors import InputError
from toolkit.provenance import package_versions

REPO = Path(__file__).resolve().parents[1]
MIRROR = "http://mirror.example/debian"
SECTIONS = {"%files", "%labels", "%environment", "%post", "%test", "%runscript", "%help"}


def parse_definition(text: str) -> tuple[dict[str, str], dict[str, str]]:
    """Header keys and section bodies of an Apptainer definition (its own small parser)."""
    header: dict[str, str] = {}
    sections: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("%"):
            current = line.split()[0]
            assert current not in sections, f"section {current} twice"
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
        elif line.strip() and not line.startswith("#"):
            key, sep, value = line.partition(":")
            assert sep and re.fullmatch(r"[A-Za-z]+", key), f"bad header line {line!r}"
            header[key] = value.strip()
    return header, {k: "\n".join(v) for k, v in sections.items()}


def labels_of(body: str) -> dict[str, str]:
    return dict(line.strip().split(" ", 1) for line in body.splitlines() if line.strip())


@pytest.mark.parametrize("base", sorted(BASES))
def test_both_definitions_parse_and_pin_every_version(base):
    spec = BASES[base]
    text = render(
        base,
        mirror=MIRROR if spec.bootstrap == "debootstrap" else None,
        ca_certs=2,
        image_id="test-id",
        commit="abc123",
    )
    assert "{{" not in text and "}}" not in text
    header, sections = parse_definition(text)
    assert set(sections) == SECTIONS
    if spec.bootstrap == "debootstrap":
        assert header == {
            "Bootstrap": "debootstrap",
            "OSVersion": "bookworm",
            "MirrorURL": MIRROR,
            "Include": "ca-certificates",
        }
    else:
        assert header == {"Bootstrap": "docker", "From": definition.GPU_BASE_IMAGE}
        assert re.fullmatch(r"tensorflow/tensorflow:2\.15\.\d+-gpu", header["From"])
    labels = labels_of(sections["%labels"])
    pins = read_pins((REPO / "requirements.txt").read_text())
    tf = pins.pop("tensorflow-cpu")
    assert labels[f"expact.pin.{BASES[base].tf_package}"] == tf
    for name, version in pins.items():
        assert labels[f"expact.pin.{name}"] == version, name
    cuda = {k.removeprefix("expact.pin."): v for k, v in labels.items() if "pin.nvidia" in k}
    assert cuda == (CUDA_WHEELS if spec.cuda_wheels else {})
    assert labels["expact.gpu"] == ("yes" if spec.gpu else "no")
    assert labels["expact.horovod"] == HOROVOD_VERSION
    assert labels["expact.meme"] == MEME_VERSION
    assert labels["expact.base"] == base and labels["expact.git-commit"] == "abc123"
    files = [line.split() for line in sections["%files"].splitlines() if line.strip()]
    assert files == [
        ["src", "/opt/expact/src"],
        ["ca/extra-1.crt", "/usr/local/share/ca-certificates/expact-extra-1.crt"],
        ["ca/extra-2.crt", "/usr/local/share/ca-certificates/expact-extra-2.crt"],
    ]
    post, test = sections["%post"], sections["%test"]
    assert f'"horovod=={HOROVOD_VERSION}"' in post and "--no-build-isolation" in post
    assert "HOROVOD_WITH_TENSORFLOW=1" in post
    assert "containers/meme/build_meme.sh" in post and "requirements-image.txt" in post
    assert "update-ca-certificates" in post and "toolkit.tomtom.warmup" in post
    assert f"PYTHON={BASES[base].python}" in post
    assert "horovodrun --check-build" in test and "tomtom -version" in test
    assert "import horovod.tensorflow" in test and "import tensorflow" in test
    env = sections["%environment"]
    assert "NUMBA_CACHE_DIR=" in env and "test-id" in env
    assert "EXPACT_TOMTOM=/opt/expact/venv/bin/tomtom" in env
    # GPU bases: %test checks the CUDA build and loads the CUDA libraries; CPU: skips that
    assert f"GPU = {spec.gpu}\nif GPU:" in test
    assert "tf.test.is_built_with_cuda()" in test and repr(CUDA_LIBRARIES)[:-1] in test
    assert ("libnccl.so.2" in test) == spec.cuda_wheels
    assert ("LD_LIBRARY_PATH" in env) == spec.cuda_wheels


def test_definition_versions_agree_with_the_rest_of_the_repo():
    setup = (REPO / "jobs" / "setup.sh").read_text()
    assert f"horovod=={HOROVOD_VERSION}" in setup
    meme = (REPO / "containers" / "meme" / "build_meme.sh").read_text()
    assert f"VERSION={MEME_VERSION}" in meme
    # bookworm's python3 is the 3.11 the project requires
    assert 'requires-python = ">=3.11,<3.12"' in (REPO / "pyproject.toml").read_text()


def test_no_host_specific_text_in_the_template():
    text = (REPO / "containers" / "expact.def.in").read_text()
    assert "://" not in text  # mirrors and indexes come from build options, not the file
    assert str(REPO) not in text


def test_docker_base_swaps_only_the_tensorflow_wheel():
    req = (REPO / "requirements.txt").read_text()
    gpu = read_pins(image_requirements(req, BASES["docker"]))
    cpu = read_pins(req)
    assert gpu.pop("tensorflow") == cpu.pop("tensorflow-cpu")
    assert gpu == cpu
    assert image_requirements(req, BASES["debootstrap"]) == req
    with pytest.raises(InputError, match="--mirror applies to the debootstrap bases only"):
        render("docker", mirror=MIRROR)
    with pytest.raises(InputError, match="expected one of"):
        render("podman")


def test_gpu_base_is_the_debian_base_with_tensorflow_and_cuda_wheels():
    """debootstrap-gpu: the CPU image's Debian, packages and pins, with tensorflow[and-cuda]
    (same version) instead of tensorflow-cpu, plus its CUDA/cuDNN wheels pinned."""
    gpu, cpu = BASES["debootstrap-gpu"], BASES["debootstrap"]
    assert (gpu.bootstrap, gpu.python, gpu.runtime_packages) == (
        cpu.bootstrap,
        cpu.python,
        cpu.runtime_packages,
    )
    assert gpu.cuda_wheels and gpu.gpu and not cpu.gpu and not BASES["docker"].cuda_wheels
    req = (REPO / "requirements.txt").read_text()
    text = image_requirements(req, gpu)
    tf = read_pins(req)["tensorflow-cpu"]
    assert f"\ntensorflow[and-cuda]=={tf}\n" in text
    assert not [line for line in text.splitlines() if line.startswith("tensorflow-cpu")]
    pins = read_pins(text)
    assert pins.pop("tensorflow") == tf
    for name, version in CUDA_WHEELS.items():
        assert pins.pop(name) == version
    assert pins == {k: v for k, v in read_pins(req).items() if k != "tensorflow-cpu"}
    # rendered: Debian header with the mirror, the wheels' library folders on the path
    header, sections = parse_definition(render("debootstrap-gpu", mirror=MIRROR))
    assert header["Bootstrap"] == "debootstrap" and header["MirrorURL"] == MIRROR
    env = sections["%environment"]
    for name in CUDA_WHEEL_LIBS:
        assert f"/opt/expact/venv/lib/python3.11/site-packages/nvidia/{name}/lib" in env
    assert "nvidia/cuda_nvcc/bin" in env  # ptxas, for XLA
    labels = labels_of(sections["%labels"])
    assert labels["expact.base-image"] == "debian:bookworm"
    assert labels["expact.pin.tensorflow"] == tf and "expact.pin.tensorflow-cpu" not in labels


def test_cuda_wheel_pins_are_tensorflows_own():
    """CUDA_WHEELS repeats the 'and-cuda' extra of the pinned TensorFlow; tensorflow-cpu of the
    same version declares the same extra, so the installed one says what it must be."""
    from importlib.metadata import PackageNotFoundError, requires, version

    pin = read_pins((REPO / "requirements.txt").read_text())["tensorflow-cpu"]
    try:
        installed = version("tensorflow-cpu")
    except PackageNotFoundError:
        pytest.fail("tensorflow-cpu is not installed here (jobs/setup.sh installs the pins)")
    assert installed == pin
    extra = {}
    for line in requires("tensorflow-cpu"):
        match = re.fullmatch(r"(\S+) \(==([^)]+)\) ; extra == .and-cuda.", line)
        if match:
            extra[match.group(1)] = match.group(2)
    assert extra == CUDA_WHEELS


def test_gpu_bases_take_no_cpu_wheelhouse(tmp_path):
    from toolkit.containers.wheelhouse import fits_image

    release = tmp_path / "os-release"
    release.write_text('ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n')
    assert fits_image("debootstrap", release) and not fits_image("debootstrap-gpu", release)
    for base in ("debootstrap-gpu", "docker"):
        with pytest.raises(InputError, match="installs tensorflow"):
            apptainer.build(base, output=tmp_path / "x.sif", wheelhouse=tmp_path)
    with pytest.raises(InputError, match="expected one of"):
        apptainer.build("podman", output=tmp_path / "x.sif")


def test_mirror_comes_from_the_apt_sources(tmp_path):
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\nURIs: http://sec.example/debian-security\nSuites: bookworm-security\n"
        "Components: main\n\nTypes: deb\nURIs: http://main.example/debian\n"
        "Suites: bookworm bookworm-updates\nComponents: main\n"
    )
    assert debian_mirror(tmp_path) == "http://main.example/debian"
    (tmp_path / "sources.list.d" / "debian.sources").unlink()
    (tmp_path / "sources.list").write_text(
        "# comment\ndeb [arch=amd64] http://one.example/debian bookworm main\n"
    )
    assert debian_mirror(tmp_path) == "http://one.example/debian"
    assert debian_mirror(tmp_path / "nothing") is None


def test_stage_writes_a_self_contained_build_context(tmp_path):
    cert = tmp_path / "proxy.crt"
    cert.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    context = tmp_path / "ctx"
    path = stage("docker", context, ca_certs=[cert])
    assert path == context / "expact.def"
    text = path.read_text()
    assert "ca/extra-1.crt" in text and "Bootstrap: docker" in text
    assert (context / "ca" / "extra-1.crt").read_text() == cert.read_text()
    for name in (
        "pyproject.toml",
        "README.md",
        "requirements.txt",
        "requirements-image.txt",
        "toolkit/cli.py",
        "toolkit/data/task1_ground_truth.json",
        "containers/meme/build_meme.sh",
    ):
        assert (context / "src" / name).is_file(), name
    assert not list((context / "src").rglob("__pycache__"))
    assert "tensorflow==" in (context / "src" / "requirements-image.txt").read_text()
    # the toolkit's own dependency names the image's TensorFlow (else `pip check` fails there)
    staged = (context / "src" / "pyproject.toml").read_text()
    assert '"tensorflow>=2.15,<2.16"' in staged and "tensorflow-cpu" not in staged
    cpu = stage("debootstrap", tmp_path / "ctx-cpu", mirror=MIRROR)
    assert (cpu.parent / "src" / "pyproject.toml").read_text() == (
        REPO / "pyproject.toml"
    ).read_text()
    image_id = re.search(r"expact\.image-id (\S+)", text).group(1)
    assert image_id != "unbuilt" and f"expact-numba-$(id -u)/{image_id}" in text

    bad = tmp_path / "bad.crt"
    bad.write_text("not a certificate")
    with pytest.raises(InputError, match="not a PEM certificate"):
        stage("debootstrap", tmp_path / "ctx2", mirror=MIRROR, ca_certs=[bad])
    with pytest.raises(InputError, match="not found"):
        stage("debootstrap", tmp_path / "ctx3", mirror=MIRROR, ca_certs=[tmp_path / "no.crt"])


def test_cli_prints_a_definition(capsys):
    assert main(["containers", "def", "--base", "docker"]) == 0
    header, sections = parse_definition(capsys.readouterr().out)
    assert header["Bootstrap"] == "docker" and set(sections) == SECTIONS
    assert main(["containers", "def", "--base", "debootstrap", "--mirror", MIRROR]) == 0
    assert f"MirrorURL: {MIRROR}" in capsys.readouterr().out
    assert main(["containers", "def", "--base", "debootstrap-gpu", "--mirror", MIRROR]) == 0
    out = capsys.readouterr().out
    assert f"MirrorURL: {MIRROR}" in out and "expact.pin.nvidia-cudnn-cu12 8.9.4.25" in out


def test_cli_offers_every_base():
    from toolkit.cli import IMAGE_BASES, _parser

    assert set(IMAGE_BASES) == set(BASES)
    args = _parser().parse_args(["containers", "build", "--base", "debootstrap-gpu"])
    assert args.base == "debootstrap-gpu" and args.wheelhouse == "auto"


# -- profiles naming an image, and the command line of an element ---------------------------


def _image(tmp_path: Path) -> Path:
    image = tmp_path / "images" / "expact.sif"
    image.parent.mkdir(parents=True, exist_ok=True)
    image.write_bytes(b"SIF")
    return image


def test_profile_container_is_resolved_and_checked(tmp_path, monkeypatch):
    image = _image(tmp_path)
    profile_file = tmp_path / "p.yaml"
    profile_file.write_text(
        yaml.safe_dump(
            {"container": "images/expact.sif", "container_binds": ["/scratch:/scratch:ro"]}
        )
    )
    profile = load_profile(profile_file)
    assert profile.container == str(image)  # relative to the profile's folder
    assert profile.container_binds == ["/scratch:/scratch:ro"]
    monkeypatch.setenv("EXPACT_TEST_IMAGES", str(image.parent))
    assert parse_profile({"container": "$EXPACT_TEST_IMAGES/expact.sif"}).container == str(image)
    with pytest.raises(InputError, match="not found .*expact containers build"):
        parse_profile({"container": str(tmp_path / "missing.sif")})
    with pytest.raises(InputError, match="non-empty string"):
        parse_profile({"container": ""})
    with pytest.raises(InputError, match="container_binds"):
        parse_profile({"container_binds": ["/a,/b"]})
    with pytest.raises(InputError, match="container_binds"):
        parse_profile({"container_binds": "/a"})
    assert Profile(**profile.to_dict()) == profile  # retry rebuilds it from submissions.json


def _spec(data_dir: Path, target: Path) -> RunSpec:
    return RunSpec(
        task="task1",
        sweep="s",
        model="cnn-deep",
        activation="relu",
        trial=0,
        seed=1,
        data={"path": str(data_dir / "task1.h5")},
        tomtom={"backend": "meme", "target": str(target)},
    )


def test_element_command_line_is_exact_and_quoted(tmp_path, monkeypatch):
    image = _image(tmp_path / "my images")
    results = tmp_path / "res $(touch x) 'q'"
    data = tmp_path / "data dir"
    refs = tmp_path / "refs"
    for d in (results / "data", data, refs):
        d.mkdir(parents=True)
    (data / "task1.h5").write_bytes(b"")
    target = refs / "jaspar.meme"
    target.write_text("")
    fake = tmp_path / "bin" / "apptainer"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("EXPACT_APPTAINER", str(fake))
    profile = Profile(container=str(image), container_binds=["/scratch"])
    specs = [_spec(data, target), _spec(results / "data", target)]
    command = container_python(profile, results, specs)
    system = [d for d in ("/etc/slurm", "/run/munge") if Path(d).is_dir()]
    folders = sorted([results, data, refs], key=lambda p: (len(p.parts), str(p)))
    expected = [str(fake), "exec"]
    for bind in [*map(str, folders), *system, "/scratch"]:
        expected += ["--bind", bind]
    expected += [str(image), "python3"]
    argv = shlex.split(command)
    assert argv == expected  # results/data is inside results: bound once
    assert "--nv" not in argv
    gpu = container_python(Profile(container=str(image), gpus_per_node=1), results, specs)
    assert shlex.split(gpu)[:3] == [str(fake), "exec", "--nv"]
    assert container_python(Profile(), results, specs) is None

    script = dry_run_script(profile, "s", results, 2, specs)
    assert f"{command} -u -m submitit.core._submit" in script

    (tmp_path / "a:b").mkdir()
    with pytest.raises(InputError, match="may not contain"):
        container_python(profile, tmp_path / "a:b", [])


def test_exec_python_quotes_every_word():
    command = apptainer.exec_python(
        "/i m/x.sif", ["/a b", "/c$(d)"], gpus=True, apptainer="/opt/app tainer"
    )
    assert command == (
        "'/opt/app tainer' exec --nv --bind '/a b' --bind '/c$(d)' '/i m/x.sif' python3"
    )


def test_find_apptainer_honours_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("EXPACT_APPTAINER", str(tmp_path / "nope"))
    with pytest.raises(InputError, match="EXPACT_APPTAINER"):
        apptainer.find_apptainer()
    monkeypatch.delenv("EXPACT_APPTAINER")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("EXPACT_APPTAINER_ROOT", str(tmp_path / "no-root"))
    with pytest.raises(InputError, match="apptainer-up.sh"):
        apptainer.find_apptainer()


def test_debug_cluster_refuses_a_container(tmp_path, monkeypatch):
    from toolkit.cluster.submit import submit

    fake = tmp_path / "apptainer"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("EXPACT_APPTAINER", str(fake))
    spec = _spec(tmp_path, tmp_path / "t.meme")
    with pytest.raises(InputError, match="debug executor"):
        submit(
            [spec],
            [spec],
            tmp_path / "r",
            "s",
            cluster="debug",
            profile=Profile(container=str(_image(tmp_path))),
        )


def test_records_say_whether_a_run_was_in_an_image(monkeypatch):
    monkeypatch.delenv("APPTAINER_CONTAINER", raising=False)
    monkeypatch.delenv("SINGULARITY_CONTAINER", raising=False)
    assert package_versions()["container"] is None
    assert apptainer.container_info() is None
    monkeypatch.setenv("APPTAINER_CONTAINER", "/images/expact.sif")
    info = apptainer.container_info()
    assert info["image"] == "/images/expact.sif" and isinstance(info["labels"], dict)
    assert package_versions()["container"] == "/images/expact.sif"
    json.dumps(info)


def test_wheelhouse_builds_install_offline():
    online = render("debootstrap", mirror=MIRROR)
    offline = render("debootstrap", mirror=MIRROR, wheelhouse=True)
    assert 'WHEELHOUSE=""' in online and 'WHEELHOUSE="/mnt"' in offline
    _, sections = parse_definition(offline)
    post = sections["%post"]
    assert "PIP_NO_INDEX=1" in post and 'PIP_FIND_LINKS="$WHEELHOUSE"' in post
    assert 'MEME_SDIST="$WHEELHOUSE/pymemesuite-0.1.0a4.tar.gz"' in post
    # Horovod's compilers are installed only when the wheelhouse has no Horovod wheel
    assert f'"$WHEELHOUSE"/horovod-{HOROVOD_VERSION}-*.whl' in post
    assert labels_of(sections["%labels"])["expact.wheelhouse"] == "yes"
    from toolkit.containers.wheelhouse import MEME_SDIST

    assert MEME_SDIST.replace("==", "-") + ".tar.gz" in post
    assert "pymemesuite-0.1.0a4" in (REPO / "containers" / "meme" / "build_meme.sh").read_text()


def test_an_automatic_wheelhouse_only_for_the_debian_base_on_debian_12(tmp_path):
    from toolkit.containers.wheelhouse import fits_image

    release = tmp_path / "os-release"
    release.write_text('ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n')
    assert fits_image("debootstrap", release)
    assert not fits_image("docker", release)
    release.write_text('ID=ubuntu\nVERSION_ID="24.04"\nVERSION_CODENAME=noble\n')
    assert not fits_image("debootstrap", release)
    assert not fits_image("debootstrap", tmp_path / "missing")


def test_the_build_never_touches_fixed_names_in_the_hosts_tmp():
    """%post and %test see the build machine's /tmp (Apptainer binds it): a build once ran
    `rm -rf /tmp/*.log` there and deleted the host's logs. Only a mktemp folder is allowed."""
    import re

    from toolkit.containers.definition import render

    for base, spec in BASES.items():
        mirror = "http://deb.example/debian" if spec.bootstrap == "debootstrap" else None
        text = render(base, mirror=mirror)
        for line in text.splitlines():
            code = line.split("#", 1)[0]
            for path in re.findall(r"/tmp/[^\s\"')]*", code):
                assert path.startswith(("/tmp/expact-image-post.", "/tmp/expact-numba-")), line
