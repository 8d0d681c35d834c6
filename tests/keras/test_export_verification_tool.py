"""tools/verify_exports.py, which writes docs/export_verification.md: an example's .keras file and Python
script are run and measured against Keras for real, and the table numbers every refusal and note."""

from __future__ import annotations

from pathlib import Path

from tools.verify_exports import MODELS, Cell, Example, markdown, verify_example


def test_the_keras_file_and_the_python_script_are_run_and_match_keras() -> None:
    example = verify_example(MODELS / "two_input_concat.json", ("keras", "python"))
    assert [cell.format for cell in example.cells] == ["keras", "python"]
    for cell in example.cells:
        assert cell.reason == "" and cell.diff is not None and cell.passed, cell
    assert "chemistry (None, 10), colour (None, 3)" in example.exported and example.recipe == ""


def test_a_recipe_says_what_it_exports() -> None:
    example = verify_example(MODELS / "vae_mnist.json", ("python",))
    assert example.recipe == "vae" and "encoder" in example.exported and "decoder" in example.exported
    assert example.cells[0].passed, example.cells[0]


def test_the_table_numbers_refusals_and_notes(tmp_path: Path) -> None:
    examples = [
        Example("net", cells=[Cell("keras", diff=0.0, tolerance=1e-4), Cell("tflite", reason="cannot convert: x"),
                              Cell("onnx", diff=2e-7, tolerance=1e-4, note="batch fixed at 1")]),
        Example("odd", cells=[Cell("keras", diff=1.0, tolerance=1e-4), Cell("tflite", reason="boom", ours=True),
                              Cell("onnx", diff=None, reason="cannot convert: y")]),
        Example("gone", error="exit code -11"),
    ]
    text = markdown(examples, "versions", ("keras", "tflite", "onnx"))
    assert "| net | 0 | ✗ (1) | 2.0e-07 [n1] |" in text
    assert "| odd | 1.0e+00 **over tolerance** | ✗ (2) | ✗ (3) |" in text
    assert "1. net, TFLite: cannot convert: x" in text and "2. odd, TFLite: boom **(an unexpected error" in text
    assert "- n1. net, ONNX: batch fixed at 1" in text and "gone: the verification itself failed" in text
