"""Deployable exports: a TensorFlow SavedModel, a TFLite (LiteRT) flatbuffer, an ONNX graph.

Each goes through Keras' own ``model.export`` (and TensorFlow's TFLite converter, fed from
that SavedModel) rather than code of ours. Nothing is reported written until the artifact has
been *run*: the SavedModel's ``serve`` endpoint, the TFLite interpreter or onnxruntime gets a
random batch and its outputs must match Keras' within :data:`ATOL` + :data:`RTOL` × the
largest Keras output. Files are written atomically; a SavedModel folder is built as a temp
sibling and renamed into place. A model a converter refuses gets a :class:`DeployError`
naming the layer (when the converter's message names one) and the reason, never a traceback.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
import tempfile
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from app.core.atomic import atomic_write, fsync_folder, pid_alive

ATOL = 1e-4
RTOL = 1e-4
"""An artifact passes when max |artifact - Keras| <= ATOL + RTOL * max |Keras|: float32
kernels reordered by a converter differ by a few ulps (measured: <= 3e-8 on the examples)."""

BATCH = 4
"""Rows in the verification batch: more than one, so a batch dimension fixed at 1 by a
converter shows up as a failure rather than passing by chance."""

FORMATS = {"saved_model": "SavedModel", "tflite": "TFLite", "onnx": "ONNX"}
ONNX_EXTRA = "pip install 'layerforge[onnx]'"


class DeployError(Exception):
    """An export failed; the message names the format, the layer when known, and the reason.

    ``refused`` is True when the model itself is the cause (a converter refused it, or the
    artifact did not match Keras), False when the file system is (a path, a full disk)."""

    def __init__(self, message: str, refused: bool = False) -> None:
        super().__init__(message)
        self.refused = refused


@dataclass(frozen=True)
class Verified:
    """An artifact that was written and whose outputs matched Keras'."""

    path: Path
    format: str
    max_abs_diff: float
    tolerance: float
    batch: int
    note: str = ""
    """What the artifact had to give up to convert (a fixed batch size), in words; empty: nothing."""

    def describe(self) -> str:
        return (f"{self.format}, verified on a batch of {self.batch}: max abs difference from Keras "
                f"{self.max_abs_diff:.2e} (tolerance {self.tolerance:.1e})" + (f"; {self.note}" if self.note else ""))


FIXED_BATCH = ("its batch size is fixed at 1 (LiteRT's usual form; feed one sample at a time): with a variable "
               "batch size the converter refused it ({reason})")
"""The note of a TFLite export that converted only with a batch of 1. Measured (TensorFlow 2.21) on
the dcgan_mnist, vae_mnist and denoising_autoencoder examples: with a batch of None the converter
loses the image height by the second UpSampling2D (Keras' ``tf.repeat``, reshaped by a shape computed
at run time from the unknown batch; the Conv2D after it sees ?x?x28xC), so that Conv2D stays a
TensorFlow op (tf.Conv2D); with a batch of 1 every shape is known and every op is a built-in.
Recurrent layers (LSTM, GRU, Bidirectional; text_lstm, gru_timeseries, bidirectional_lstm,
seq2seq_reverse): with a batch of None their loop's ``tf.TensorListReserve`` has no static element
shape and stays a TensorFlow op; with a batch of 1 it lowers to LiteRT's built-in WHILE and tensors
(max abs difference from Keras measured ≤ 6e-8 on those four)."""


def export_saved_model(model: Any, path: str | os.PathLike[str]) -> Verified:
    """Write ``model`` as a TensorFlow SavedModel folder at ``path`` (replacing an earlier SavedModel
    there, never any other folder); verified through its ``serve`` endpoint before it is moved in."""
    target = Path(os.path.realpath(path))
    _check_folder_target(target, path)
    xs, expected = sample(model)
    tmp = target.parent / f".{target.name}.layerforge-tmp-{os.getpid()}-{uuid.uuid4().hex[:12]}"
    try:
        _saved_model(model, tmp)
        with _running("SavedModel", model):
            got = _run_saved_model(tmp, xs)
        diff = max_abs_difference(expected, got, "SavedModel")
        verified = _verified(target, "SavedModel", diff, expected)
        try:
            replace_folder(tmp, target)
        except OSError as err:
            raise DeployError(f"{os.fspath(target)}: cannot write the folder: {err.strerror or err}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return verified


def export_tflite(model: Any, path: str | os.PathLike[str]) -> Verified:
    """Write ``model`` as a TFLite flatbuffer (built-in ops only, so it runs on the plain LiteRT
    runtime of a phone or a browser), verified with TensorFlow's TFLite interpreter."""
    target = _file_target(path, ".tflite")
    xs, expected = sample(model)
    flatbuffer, refusal = _tflite_flatbuffer(model)
    with _running("TFLite", model):
        got = _run_tflite(flatbuffer, model, xs, one_row_at_a_time=refusal is not None)
    diff = max_abs_difference(expected, got, "TFLite")
    verified = _verified(target, "TFLite", diff, expected)
    if refusal is not None:
        cause = refusal.__cause__
        reason = conversion_message("TFLite", model, cause, hint=False) if cause is not None else str(refusal)
        verified = replace(verified, note=FIXED_BATCH.format(reason=reason.removeprefix("cannot convert to TFLite: ")))
    _write(target, lambda tmp: tmp.write_bytes(flatbuffer), ".tflite")
    return verified


def _tflite_flatbuffer(model: Any) -> tuple[bytes, DeployError | None]:
    """The flatbuffer with a variable batch size when the converter takes it, else with a batch of 1
    and the refusal it got first: some graphs only convert once every shape is known
    (:data:`FIXED_BATCH`: upsampling stages, recurrent loops). When neither converts, the first
    refusal is the one reported (with its hint)."""
    with _scratch() as folder:
        _saved_model(model, folder / "saved_model")
        try:
            return _convert_tflite(folder / "saved_model", model), None
        except DeployError as err:
            if not err.refused:
                raise
            refusal = err
        try:
            _saved_model(model, folder / "batch_of_1", batch=1)
            return _convert_tflite(folder / "batch_of_1", model), refusal
        except DeployError:
            raise refusal from None


def export_onnx(model: Any, path: str | os.PathLike[str]) -> Verified:
    """Write ``model`` as ONNX through Keras' own exporter (tf2onnx), verified with onnxruntime."""
    target = _file_target(path, ".onnx")
    for module in ("tf2onnx", "onnx", "onnxruntime"):
        try:
            __import__(module)
        except ImportError:
            raise DeployError(f"ONNX export needs the optional packages tf2onnx, onnx and onnxruntime "
                              f"({module} is missing): {ONNX_EXTRA}") from None
    xs, expected = sample(model)
    box: dict[str, float] = {}

    def write(tmp: Path) -> None:
        with _converting("ONNX", model), warnings.catch_warnings():
            # Keras' tf2onnx shim probes np.object, which NumPy 2 answers with a FutureWarning: noise for users
            warnings.filterwarnings("ignore", category=FutureWarning, module=r"keras\.src\.export")
            inference, signature = inference_model(model)
            inference.export(os.fspath(tmp), format="onnx", input_signature=signature, verbose=False)
        with _running("ONNX", model):
            got = _run_onnx(tmp, model, xs)
        box["diff"] = max_abs_difference(expected, got, "ONNX")
        _verified(target, "ONNX", box["diff"], expected)  # raises before the rename when off

    _write(target, write, ".onnx")
    return _verified(target, "ONNX", box["diff"], expected)


def sample(model: Any, batch: int = BATCH, seed: int = 0) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A random batch for every input (floats in [0, 1); integer token ids 0 or 1, valid for any
    Embedding) and Keras' outputs for it, flattened to a list."""
    rng = np.random.default_rng(seed)
    xs = []
    for tensor in model.inputs:
        shape = [batch] + [8 if size is None else int(size) for size in tuple(tensor.shape)[1:]]
        dtype = np.dtype(str(tensor.dtype))
        if np.issubdtype(dtype, np.integer) or dtype == np.bool_:
            xs.append(rng.integers(0, 2, size=shape).astype(dtype))
        else:
            xs.append(rng.random(shape).astype(dtype))
    return xs, flat_outputs(model(xs if len(xs) > 1 else xs[0], training=False))


def flat_outputs(outputs: Any) -> list[np.ndarray]:
    """A model's outputs (one tensor, a list, or a dict by name) as a list of arrays, in a fixed order."""
    if isinstance(outputs, dict):
        return [np.asarray(outputs[key]) for key in sorted(outputs)]
    if isinstance(outputs, (list, tuple)):
        return [np.asarray(item) for item in outputs]
    return [np.asarray(outputs)]


def max_abs_difference(expected: Sequence[np.ndarray], got: Sequence[np.ndarray], fmt: str) -> float:
    """The largest |expected - got| over every output; a :class:`DeployError` when the outputs'
    number or shapes differ (``fmt`` names the artifact in that message)."""
    if len(expected) != len(got):
        raise DeployError(f"{fmt}: the exported model has {len(got)} output(s), Keras' has {len(expected)}",
                          refused=True)
    diff = 0.0
    for number, (want, have) in enumerate(zip(expected, got, strict=True)):
        if tuple(want.shape) != tuple(np.shape(have)):
            raise DeployError(f"{fmt}: output {number} has shape {tuple(np.shape(have))}, Keras gives "
                              f"{tuple(want.shape)}", refused=True)
        diff = max(diff, float(np.max(np.abs(want.astype(np.float64) - np.asarray(have, dtype=np.float64)),
                                      initial=0.0)))
    return diff


def tolerance_for(expected: Sequence[np.ndarray]) -> float:
    """:data:`ATOL` + :data:`RTOL` × the largest Keras output: how far an artifact may be off."""
    scale = max((float(np.max(np.abs(out), initial=0.0)) for out in expected), default=0.0)
    return ATOL + RTOL * scale


def _verified(target: Path, fmt: str, diff: float, expected: Sequence[np.ndarray]) -> Verified:
    tolerance = tolerance_for(expected)
    if not np.isfinite(diff) or diff > tolerance:
        raise DeployError(f"{fmt}: the exported model's outputs differ from Keras' by up to {diff:.3g} "
                          f"(tolerance {tolerance:.1e}); nothing was written", refused=True)
    return Verified(target, fmt, diff, tolerance, int(expected[0].shape[0]) if expected and expected[0].ndim else 0)


# --- running the artifacts -----------------------------------------------------------------------


def _run_saved_model(folder: Path, xs: list[np.ndarray]) -> list[np.ndarray]:
    import tensorflow as tf

    loaded = tf.saved_model.load(os.fspath(folder))
    return flat_outputs(loaded.serve(xs if len(xs) > 1 else xs[0]))


def _run_tflite(flatbuffer: bytes, model: Any, xs: list[np.ndarray], one_row_at_a_time: bool = False
                ) -> list[np.ndarray]:
    """The flatbuffer's outputs for ``xs``; a model converted with a batch of 1 is fed row by row."""
    import tensorflow as tf

    with warnings.catch_warnings():  # "tf.lite.Interpreter is deprecated": still TensorFlow 2.21's own
        warnings.simplefilter("ignore")
        interpreter = tf.lite.Interpreter(model_content=flatbuffer)
    runner = interpreter.get_signature_runner("serving_default")
    names = _input_names(model, list(runner.get_input_details()))
    batches = [[x[row:row + 1] for x in xs] for row in range(len(xs[0]))] if one_row_at_a_time else [xs]
    results: list[list[np.ndarray]] = []
    for batch in batches:
        outputs = runner(**dict(zip(names, batch, strict=True)))
        results.append([np.asarray(outputs[key]) for key in sorted(outputs, key=_output_order)])
    return [np.concatenate(parts) for parts in zip(*results, strict=True)]


def _run_onnx(path: Path, model: Any, xs: list[np.ndarray]) -> list[np.ndarray]:
    import onnxruntime

    session = onnxruntime.InferenceSession(os.fspath(path), providers=["CPUExecutionProvider"])
    names = [item.name for item in session.get_inputs()]
    feeds = dict(zip(_input_names(model, names), xs, strict=True))
    return [np.asarray(out) for out in session.run(None, feeds)]


def _input_names(model: Any, names: list[str]) -> list[str]:
    """The artifact's input names in the order of ``model.inputs`` (matched by the Keras input's name)."""
    if len(names) != len(model.inputs):
        raise DeployError(f"the exported model has {len(names)} input(s), Keras' has {len(model.inputs)}",
                          refused=True)
    wanted = [getattr(tensor, "name", "") or "" for tensor in model.inputs]
    if sorted(wanted) == sorted(names):
        return wanted
    return names


def _output_order(key: str) -> tuple[int, str]:
    match = re.search(r"(\d+)$", key)
    return (int(match.group(1)) if match else 0, key)


# --- converting ---------------------------------------------------------------------------------


def _saved_model(model: Any, folder: Path, batch: int | None = None) -> None:
    with _converting("SavedModel", model):
        inference, signature = inference_model(model, batch)
        inference.export(os.fspath(folder), format="tf_saved_model", input_signature=signature, verbose=False)


def inference_model(model: Any, batch: int | None = None) -> tuple[Any, list[Any]]:
    """``model`` called with ``training=False``, and the input signature to export it with
    (a variable batch size, or ``batch``).

    ``model.export`` traces ``model(x)`` with ``training`` unset, and Keras' augmentation layers
    (RandomRotation, RandomZoom, ...) default to training there: the exported model served
    randomly rotated predictions (measured on the vgg_augmented example: 0.005 off Keras, never
    twice the same) and carried random ops no converter takes. This thin wrapper fixes inference.
    """
    import keras

    class Inference(keras.Model):
        def __init__(self, inner: Any) -> None:
            super().__init__(name=inner.name)
            self.inner = inner

        def call(self, inputs: Any) -> Any:
            return self.inner(inputs, training=False)

    specs = [keras.InputSpec(shape=(batch, *tuple(t.shape)[1:]), dtype=t.dtype, name=getattr(t, "name", None))
             for t in model.inputs]
    wrapped = Inference(model)
    xs, _ = sample(model, batch=1)
    wrapped(xs[0] if len(xs) == 1 else xs)  # built, as export requires
    return wrapped, [specs[0] if len(specs) == 1 else specs]


def _convert_tflite(folder: Path, model: Any) -> bytes:
    import tensorflow as tf

    with _converting("TFLite", model):
        converter = tf.lite.TFLiteConverter.from_saved_model(os.fspath(folder))
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        with native_stderr_captured() as captured:
            try:
                return bytes(converter.convert())
            except Exception as err:
                error = err
        raise _with_captured_error(error, captured.text) from error


class _Captured:
    text = ""


@contextlib.contextmanager
def native_stderr_captured() -> Iterator[_Captured]:
    """Everything written to file descriptor 2 meanwhile (by native code too) goes to a temp file
    instead of the terminal, and is handed back as ``.text`` at the end.

    The TFLite converter prints its MLIR diagnostics from C++ straight to fd 2, before our own
    one-line refusal; the same lines are in its exception, so nothing is lost. Process-wide for
    the few seconds of a conversion: another thread's stderr output then goes to the temp file
    too (kept in ``.text``). Where fd 2 cannot be redirected, nothing is captured.
    """
    captured = _Captured()
    with contextlib.suppress(AttributeError, ValueError, OSError):
        sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:
        yield captured
        return
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield captured
        finally:
            with contextlib.suppress(AttributeError, ValueError, OSError):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            captured.text = sink.read().decode("utf-8", "replace")


def _with_captured_error(err: Exception, captured: str) -> Exception:
    """``err``, or when its message names no error but the converter's stderr did, an exception
    carrying that line (so the refusal still gives the converter's reason)."""
    if "error:" in str(err) or "error:" not in captured:
        return err
    line = next(line for line in captured.splitlines() if "error:" in line)
    return RuntimeError(f"{err}\n{line}")


@contextlib.contextmanager
def _converting(fmt: str, model: Any) -> Iterator[None]:
    """A converter's exception becomes a :class:`DeployError` naming the layer and the reason."""
    try:
        yield
    except DeployError:
        raise
    except Exception as err:
        raise DeployError(conversion_message(fmt, model, err), refused=True) from err


@contextlib.contextmanager
def _running(fmt: str, model: Any) -> Iterator[None]:
    """Running the written artifact failed: the export is refused, with the runtime's reason and the
    layer it names (a converter can write a graph its own runtime refuses: tf2onnx keeps an op ONNX
    lacks, such as Hashing's StringToHashBucketFast)."""
    try:
        yield
    except DeployError:
        raise
    except Exception as err:
        layer = _layer_named_in(model, str(err))
        where = f'layer "{layer.name}" ({type(layer).__name__}): ' if layer is not None else ""
        raise DeployError(f"{fmt}: the exported model could not be run to verify it: {where}"
                          f"{_first_error(str(err)) or type(err).__name__}; nothing was written",
                          refused=True) from err


def conversion_message(fmt: str, model: Any, err: BaseException, hint: bool = True) -> str:
    """'cannot convert to TFLite: layer "lstm" (LSTM): <the converter's first error line>', and with
    ``hint`` what avoids it, where we know."""
    text = str(err)
    reason = _first_error(text) or f"{type(err).__name__}"
    layer = _layer_named_in(model, text)
    where = f'layer "{layer.name}" ({type(layer).__name__}): ' if layer is not None else ""
    advice = ""
    if hint and fmt == "TFLite" and ("TensorList" in text or "Select TF ops" in text):
        advice = (" — the layer needs TensorFlow ops outside LiteRT's built-in set (a recurrent layer's loop); "
                  "unroll=True on the layer or the SavedModel/ONNX export avoids it")
    return f"cannot convert to {fmt}: {where}{reason}{advice}"


def _first_error(text: str) -> str:
    for line in text.splitlines():
        if "error:" in line:
            message = _without_location(line.split("error:", 1)[1].strip())
            if message:
                return _shorten(message)
    for line in text.splitlines():
        if line.strip():
            return _shorten(line.strip())
    return ""


def _without_location(message: str) -> str:
    """MLIR prefixes its errors with ``loc(...)``, the op's nested call sites: not for people."""
    if not message.startswith("loc("):
        return message
    depth = 0
    for index, char in enumerate(message):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and char == ")":
            return message[index + 1:].lstrip(": ").strip()
    return message


def _shorten(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"


def _layer_named_in(model: Any, text: str) -> Any:
    """The model layer a converter's message points at: TensorFlow names ops ``model/layer_N/op``."""
    layers = sorted(getattr(model, "layers", []), key=lambda layer: -len(layer.name))
    for layer in layers:
        if type(layer).__name__ == "InputLayer":
            continue
        if re.search(rf"(^|[/\"' ]){re.escape(layer.name)}(_\d+)?(/|[\"' ]|$)", text, re.M):
            return layer
    return None


# --- writing ------------------------------------------------------------------------------------


def _file_target(path: str | os.PathLike[str], suffix: str) -> Path:
    shown = os.fspath(path)
    if Path(shown).suffix.lower() != suffix:
        raise DeployError(f"{shown}: the file name must end in {suffix}")
    target = Path(os.path.realpath(path))
    if not target.parent.is_dir():
        raise DeployError(f"{shown}: the folder {os.fspath(target.parent)!r} does not exist")
    if target.is_dir():
        raise DeployError(f"{shown}: this is a folder, not a file name")
    return target


def _check_folder_target(target: Path, shown: str | os.PathLike[str]) -> None:
    if not target.parent.is_dir():
        raise DeployError(f"{os.fspath(shown)}: the folder {os.fspath(target.parent)!r} does not exist")
    if target.exists() and not target.is_dir():
        raise DeployError(f"{os.fspath(shown)}: a file is in the way (a SavedModel is a folder)")
    if target.is_dir() and any(target.iterdir()) and not (target / "saved_model.pb").is_file():
        raise DeployError(f"{os.fspath(shown)}: the folder is not empty and holds no SavedModel; "
                          "choose a new or empty folder")
    clean_stale_folders(target)


def _write(target: Path, write: Callable[[Path], object], suffix: str) -> None:
    try:
        atomic_write(target, write, suffix)
    except DeployError:
        raise
    except OSError as err:
        raise DeployError(f"{os.fspath(target)}: cannot write the file: {err.strerror or err}") from None


def replace_folder(tmp: Path, target: Path) -> None:
    """Move the finished folder ``tmp`` to ``target``; a folder already there is moved aside first and
    removed once the new one is in place (on failure it is put back). Raises OSError."""
    aside = None
    try:
        if target.exists():
            aside = target.parent / f".{target.name}.layerforge-old-{os.getpid()}-{uuid.uuid4().hex[:12]}"
            os.replace(target, aside)
        os.replace(tmp, target)
    except OSError:
        if aside is not None and not target.exists():
            with contextlib.suppress(OSError):
                os.replace(aside, target)
        raise
    fsync_folder(target.parent)
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)


_STALE_FOLDER = re.compile(r"^\.(?P<target>.+)\.layerforge-(tmp|old)-(?P<pid>\d{1,10})-[0-9a-f]{12}$")


def clean_stale_folders(target: Path) -> list[Path]:
    """Remove temp SavedModel folders for ``target`` that a killed export of ours left behind."""
    removed = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent):
            match = _STALE_FOLDER.match(entry.name)
            if not match or match["target"] != target.name or not entry.is_dir(follow_symlinks=False):
                continue
            if int(match["pid"]) == os.getpid() or pid_alive(int(match["pid"])):
                continue
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(Path(entry.path))
    return removed


@contextlib.contextmanager
def _scratch() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix=f"layerforge-deploy-{os.getpid()}-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


EXPORTERS: dict[str, Callable[[Any, str | os.PathLike[str]], Verified]] = {
    "saved_model": export_saved_model, "tflite": export_tflite, "onnx": export_onnx}

__all__ = ["ATOL", "BATCH", "EXPORTERS", "FORMATS", "RTOL", "DeployError", "Verified", "clean_stale_folders",
           "conversion_message", "export_onnx", "export_saved_model", "export_tflite", "flat_outputs",
           "inference_model", "max_abs_difference", "native_stderr_captured", "replace_folder", "sample",
           "tolerance_for"]
