"""Hostile and broken model files are refused with a clear message, and nothing is written.

The files are crafted by hand with zipfile (Keras is never asked to save a Lambda): the
importer must refuse them from the archive and config alone, without running or
extracting anything. The CLI must exit 2 without a traceback and write no project.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from app.keras_bridge.importer import ImportRefused, import_config, import_keras

EVIL = f"layerforge_evil_{uuid.uuid4().hex[:8]}.txt"
"""A unique name, so the test can prove no such file appeared anywhere."""


def tensor(layer: str, shape: list[Any]) -> dict[str, Any]:
    return {"class_name": "__keras_tensor__",
            "config": {"shape": shape, "dtype": "float32", "keras_history": [layer, 0, 0]}}


def functional(*layers: dict[str, Any], output: str) -> dict[str, Any]:
    """A Keras 3 Functional config: an Input named 'x' of shape (None, 8), then ``layers``."""
    return {
        "module": "keras.src.models.functional",
        "class_name": "Functional",
        "config": {
            "name": "hostile",
            "trainable": True,
            "layers": [
                {"module": "keras.layers", "class_name": "InputLayer", "name": "x", "inbound_nodes": [],
                 "config": {"batch_shape": [None, 8], "dtype": "float32", "sparse": False, "ragged": False,
                            "name": "x", "optional": False}, "registered_name": None},
                *layers,
            ],
            "input_layers": [["x", 0, 0]],
            "output_layers": [[output, 0, 0]],
        },
        "registered_name": "Functional",
    }


def layer(class_name: str, name: str, config: dict[str, Any], source: str = "x", module: str = "keras.layers",
          registered_name: str | None = None) -> dict[str, Any]:
    return {"module": module, "class_name": class_name, "config": {"name": name, **config},
            "registered_name": registered_name, "name": name,
            "inbound_nodes": [{"args": [tensor(source, [None, 8])], "kwargs": {}}]}


LAMBDA = layer("Lambda", "my_lambda", {
    "function": {"class_name": "__lambda__", "config": {"value": ["4wEAAAAAAAAAAAAAAAEAAAACAAAAQwAAAHMEAAAAfABTACkB",
                                                                    None, None]}},
    "output_shape": None, "arguments": {},
})
CUSTOM = layer("Evil", "evil", {"units": 3}, module="my_package.layers", registered_name="MyPackage>Evil")


def write_keras(path: Path, config: Any, extra: dict[str, bytes] | None = None,
                raw_config: bytes | None = None, stored: bool = False) -> Path:
    """A .keras archive written by hand: metadata.json, config.json and optional members."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        if raw_config is not None or config is not None:
            archive.writestr("config.json", raw_config if raw_config is not None else json.dumps(config),
                             compress_type=zipfile.ZIP_STORED if stored else None)
        for name, data in (extra or {}).items():
            archive.writestr(zipfile.ZipInfo(name), data)
    return path


def patch_declared_size(path: Path, member: str, size: int) -> None:
    """Rewrite the uncompressed size that the zip's directory and local header claim for ``member``."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    for signature, name_at, size_at in ((b"PK\x01\x02", 46, 24), (b"PK\x03\x04", 30, 22)):
        start = 0
        while (found := data.find(signature, start)) >= 0:
            length = struct.unpack_from("<H", data, found + (28 if signature == b"PK\x01\x02" else 26))[0]
            if data[found + name_at:found + name_at + length] == name:
                struct.pack_into("<I", data, found + size_at, size)
            start = found + 4
    path.write_bytes(bytes(data))


VALID = functional(layer("Dense", "dense", {"units": 2}), output="dense")


def _lambda(p: Path) -> Path:
    return write_keras(p / "lambda.keras", functional(LAMBDA, output="my_lambda"))


def _custom(p: Path) -> Path:
    return write_keras(p / "custom.keras", functional(CUSTOM, output="evil"))


def _truncated(p: Path) -> Path:
    whole = write_keras(p / "whole.keras", VALID, {"model.weights.h5": os.urandom(4096)})
    data = whole.read_bytes()
    whole.unlink()
    target = p / "truncated.keras"
    target.write_bytes(data[: len(data) // 2])
    return target


def _traversal(p: Path) -> Path:
    return write_keras(p / "traversal.keras", VALID, {f"../../{EVIL}": b"pwned"})


def _absolute(p: Path) -> Path:
    return write_keras(p / "absolute.keras", VALID, {f"/tmp/{EVIL}": b"pwned"})


def _bomb_weights(p: Path) -> Path:
    path = write_keras(p / "bomb.keras", VALID, {"model.weights.h5": b"\0" * 64})
    patch_declared_size(path, "model.weights.h5", 0xFFFF0000)
    return path


def _bomb_config(p: Path) -> Path:
    """An honest zip bomb: 80 MB of spaces deflate to a few dozen KB."""
    text = json.dumps(VALID)
    return write_keras(p / "bomb_config.keras", None, raw_config=(text[:-1] + " " * 80_000_000 + "}").encode())


def _oversized_config(p: Path) -> Path:
    """A config.json too large to be a model's, stored uncompressed (so it is no zip bomb)."""
    text = json.dumps(VALID)
    return write_keras(p / "huge_config.keras", None, raw_config=(text[:-1] + " " * 70_000_000 + "}").encode(),
                       stored=True)


def _lying_size(p: Path) -> Path:
    """config.json claims fewer bytes than it holds: reads stop at the claim and the CRC fails."""
    path = write_keras(p / "lying.keras", VALID)
    patch_declared_size(path, "config.json", 20)
    return path


def _legacy_h5(p: Path) -> Path:
    path = p / "model.h5"
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + os.urandom(2048))
    return path


def _h5_renamed(p: Path) -> Path:
    path = p / "really_h5.keras"
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + os.urandom(2048))
    return path


def _garbage(p: Path) -> Path:
    path = p / "garbage.keras"
    path.write_bytes(b"this is not a model at all\n" * 50)
    return path


def _empty(p: Path) -> Path:
    path = p / "empty.keras"
    path.write_bytes(b"")
    return path


def _nan(p: Path) -> Path:
    bad = functional(layer("Dropout", "drop", {"rate": "NAN_HERE"}), output="drop")
    return write_keras(p / "nan.keras", None, raw_config=json.dumps(bad).replace('"NAN_HERE"', "NaN").encode())


def _infinity(p: Path) -> Path:
    bad = functional(layer("Dropout", "drop", {"rate": "INF_HERE"}), output="drop")
    return write_keras(p / "inf.keras", None, raw_config=json.dumps(bad).replace('"INF_HERE"', "1e999").encode())


def _no_config(p: Path) -> Path:
    return write_keras(p / "no_config.keras", None, {"model.weights.h5": b"\0" * 16})


def _folder(p: Path) -> Path:
    path = p / "saved_model.keras"
    path.mkdir()
    return path


HOSTILE: dict[str, tuple[Callable[[Path], Path], str]] = {
    "lambda": (_lambda, "layer 'my_lambda' is a Lambda layer, which can run arbitrary code"),
    "custom class": (_custom, "custom class 'MyPackage>Evil'"),
    "truncated zip": (_truncated, "damaged or truncated"),
    "path traversal": (_traversal, "path leaves the archive"),
    "absolute member": (_absolute, "absolute path"),
    "declared zip bomb": (_bomb_weights, "zip bomb"),
    "deflated zip bomb": (_bomb_config, "looks like a zip bomb"),
    "oversized config": (_oversized_config, "config.json is 70,000,"),
    "lying declared size": (_lying_size, "config.json cannot be read"),
    "legacy h5": (_legacy_h5, "legacy HDF5 (.h5) model"),
    "h5 named .keras": (_h5_renamed, "legacy HDF5 (.h5) model"),
    "garbage": (_garbage, "not a .keras model file (it is not a zip archive)"),
    "empty": (_empty, "the file is empty"),
    "nan": (_nan, "contains NaN"),
    "infinity": (_infinity, "overflows to infinity"),
    "no config.json": (_no_config, "has no config.json"),
    "folder": (_folder, "this is a folder"),
}


def _listing(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def _no_evil_anywhere(root: Path) -> None:
    assert not list(root.rglob(EVIL))
    assert not (root.parent.parent / EVIL).exists()
    assert not (Path("/tmp") / EVIL).exists()
    assert not (Path.cwd() / EVIL).exists()


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_file_is_refused_and_nothing_is_written(case: str, tmp_path: Path) -> None:
    make, expected = HOSTILE[case]
    path = make(tmp_path)
    before = _listing(tmp_path)
    with pytest.raises(ImportRefused) as refused:
        import_keras(path)
    message = str(refused.value)
    assert expected in message
    assert message.startswith(str(path)), "the message names the file"
    assert _listing(tmp_path) == before
    _no_evil_anywhere(tmp_path)


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_cli_exits_2_without_traceback_or_output(case: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    make, expected = HOSTILE[case]
    path = make(tmp_path)
    out = tmp_path / "project.json"
    before = _listing(tmp_path)
    assert main(["import", str(path), "-o", str(out)]) == 2
    captured = capsys.readouterr()
    assert expected in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert not out.exists()
    assert _listing(tmp_path) == before
    _no_evil_anywhere(tmp_path)


def test_cli_in_a_fresh_process_prints_no_traceback(tmp_path: Path) -> None:
    path = _lambda(tmp_path)
    result = subprocess.run([sys.executable, "-m", "app", "import", str(path), "-o", str(tmp_path / "p.json")],
                            capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 2
    assert "Lambda layer" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "p.json").exists()


def _initializer(value: dict[str, Any]) -> dict[str, Any]:
    return functional(layer("Dense", "dense", {"units": 2, "kernel_initializer": value}), output="dense")


CONFIGS: dict[str, tuple[dict[str, Any], str]] = {
    "lambda inside a nested model": (
        functional({**layer("Functional", "inner", {}), "module": "keras.src.models.functional",
                    "registered_name": "Functional", "config": {
                        **functional(LAMBDA, output="my_lambda")["config"], "name": "inner"}},
                   output="inner"),
        "layer 'my_lambda' (in nested model 'inner') is a Lambda layer"),
    "lambda wrapped in TimeDistributed": (
        functional(layer("TimeDistributed", "td", {"layer": {"module": "keras.layers", "class_name": "Lambda",
                                                             "config": {}, "registered_name": None}}),
                   output="td"),
        "layer 'td' has in 'layer' a Lambda layer"),
    "lambda initializer": (_initializer({"class_name": "__lambda__", "config": {"value": "code"}}),
                           "a Python lambda, which can run arbitrary code"),
    "custom initializer": (_initializer({"module": "evil", "class_name": "Init", "config": {},
                                         "registered_name": "Evil>Init"}), "custom class 'Evil>Init'"),
    "module outside keras": (_initializer({"module": "os", "class_name": "system", "config": {},
                                           "registered_name": None}), "from module 'os', which is outside Keras"),
    "keras object that is not allow-listed": (
        _initializer({"module": "keras.src.saving.serialization_lib", "class_name": "enable_unsafe_deserialization",
                      "config": {}, "registered_name": None}),
        "not one of the Keras initializers"),
    "python function": (
        functional(layer("Dense", "dense", {"units": 2, "activation": {
            "module": "builtins", "class_name": "function", "config": "eval", "registered_name": "function"}}),
            output="dense"),
        "the Python function 'eval'"),
    "layer from outside keras": (functional(layer("Dense", "dense", {"units": 2}, module="evil.layers"),
                                            output="dense"), "from module 'evil.layers', which is outside Keras"),
    "unknown keras layer": (functional(layer("TFSMLayer", "saved", {}), output="saved"),
                            "layer 'saved' is a TFSMLayer layer, which Layerforge does not support"),
    "rnn cell that is not a cell": (functional(layer("RNN", "rnn", {"cell": {
        "module": "keras.layers", "class_name": "Lambda", "config": {}, "registered_name": None}}), output="rnn"),
        "a Lambda layer, which can run arbitrary code"),
    "keras operation as an input": (
        functional(layer("Log", "plus", {}, module="keras.src.ops.numpy", registered_name="Log"),
                   layer("Dense", "dense", {"units": 2}, source="plus"), output="dense"),
        "layer 'plus' is the Keras operation Log (module 'keras.src.ops.numpy'), which Layerforge does not support"),
    "subclassed model": ({"module": "mymodels", "class_name": "MyModel", "config": {"layers": []},
                          "registered_name": "Custom>MyModel"}, "custom model class 'Custom>MyModel'"),
    "shared layer reading a later call of itself": (functional({**layer("Dense", "shared", {"units": 8}),
        "inbound_nodes": [{"args": [{**tensor("shared", [None, 8]), "config": {
            **tensor("shared", [None, 8])["config"], "keras_history": ["shared", 1, 0]}}], "kwargs": {}},
            {"args": [tensor("x", [None, 8])], "kwargs": {}}]}, output="shared"),
        "reads call 2 of the shared layer 'shared' before it is made"),
    "causal mask flag": (functional({**layer("Dense", "dense", {"units": 2}), "inbound_nodes": [
        {"args": [tensor("x", [None, 8])], "kwargs": {"use_causal_mask": True}}]}, output="dense"),
        "called with use_causal_mask=True"),
    "explicit mask": (functional({**layer("Dense", "dense", {"units": 2}), "inbound_nodes": [
        {"args": [tensor("x", [None, 8])], "kwargs": {"mask": tensor("x", [None, 8])}}]}, output="dense"),
        "explicit mask computed by 'x'"),
    "required value missing": (functional(layer("Dense", "dense", {}), output="dense"),
                                "layer 'dense' has no 'units', which Keras needs to build a Dense"),
    "input without a shape": (
        {**functional(output="x"), "config": {**functional(output="x")["config"], "layers": [
            {"module": "keras.layers", "class_name": "InputLayer", "name": "x", "inbound_nodes": [],
             "config": {"name": "x", "dtype": "float32"}, "registered_name": None}]}},
        "layer 'x' has no 'batch_shape'"),
    "missing source": (functional(layer("Dense", "dense", {"units": 2}, source="ghost"), output="dense"),
                       "reads from 'ghost', which is not a layer of the model"),
}


@pytest.mark.parametrize("case", sorted(CONFIGS))
def test_hostile_config_is_refused_naming_the_layer(case: str) -> None:
    config, expected = CONFIGS[case]
    with pytest.raises(ImportRefused) as refused:
        import_config(config)
    assert expected in str(refused.value)


def test_refused_values_are_value_errors_with_plain_messages() -> None:
    with pytest.raises(ValueError, match="Lambda layer"):
        import_config(functional(LAMBDA, output="my_lambda"))
    with pytest.raises(ImportRefused, match="not a finite number"):
        import_config(functional(layer("Dropout", "drop", {"rate": float("nan")}), output="drop"))
    with pytest.raises(ImportRefused, match="not plain data"):
        import_config(functional(layer("Dropout", "drop", {"rate": object()}), output="drop"))
