"""The recipe views: a real autoencoder run in the Training panel draws its grid after each epoch;
the VAE and GAN views draw what the engine sends (scatter by label, decoded grid, both GAN losses)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from app.core.project import Project
from app.gui.document import Document
from app.gui.training.panel import TrainingPanel
from app.gui.training.recipe_views import RecipeViews, tile
from app.gui.training.worker import running_count
from app.keras_bridge.recipes import RecipeView
from tests.keras.test_recipes_engine import autoencoder_graph

TRAIN_TIMEOUT_MS = 120_000
MODELS = Path(__file__).resolve().parents[2] / "models"


@pytest.fixture
def panel(qtbot):
    project = Project(graph=autoencoder_graph(), name="ae", dataset={"name": "digits"},
                      training={"recipe": "autoencoder", "denoise": "masking", "denoise_strength": 0.3,
                                "loss": "mse", "metrics": [], "epochs": 2, "batch_size": 64})
    document = Document(project)
    widget = TrainingPanel(document)
    qtbot.addWidget(widget)
    widget.show()
    yield widget
    if widget.running:
        widget.stop_training()
    qtbot.waitUntil(lambda: running_count() == 0, timeout=TRAIN_TIMEOUT_MS)
    widget.set_document(None)


def test_an_autoencoder_run_shows_inputs_and_reconstructions_after_each_epoch(panel, qtbot) -> None:
    views = panel.recipe_views
    assert views.isHidden()
    qtbot.waitUntil(panel.can_train, timeout=60_000)
    with qtbot.waitSignal(panel.training_finished, timeout=TRAIN_TIMEOUT_MS) as finished:
        assert panel.start_training()
        assert views.isVisible() and views.recipe == "autoencoder"
        qtbot.waitUntil(lambda: views.grid_epoch is not None and views.grid_epoch >= 1, timeout=TRAIN_TIMEOUT_MS)
    assert finished.args[0].status == "finished", finished.args[0].reason
    qtbot.waitUntil(lambda: views.grid_epoch == 2, timeout=10_000)  # the last epoch's pictures, whatever was skipped
    # three rows of 8 digits (8x8 each, 1 px gaps): input, masked input, reconstruction
    assert views.grid.shape == (3 * 9 - 1, 8 * 9 - 1)
    clean, masked, rebuilt = views.grid[0:8], views.grid[9:17], views.grid[18:26]
    hidden = (masked == 0) & (clean > 0)
    assert 0.15 < hidden.sum() / (clean > 0).sum() < 0.45  # masking hid about 30 % of the input, not the target
    assert not np.array_equal(rebuilt, clean) and 0 < views.redraws <= 3
    assert "input, noisy input, reconstruction" in views.caption.text()
    assert views.picture.pixmap() is not None and not views.picture.pixmap().isNull()
    assert "could not be shown" not in panel.status_label.text()


def test_vae_view_colours_the_latent_scatter_by_label_and_draws_the_decoded_plane(qtbot) -> None:
    views = RecipeViews()
    qtbot.addWidget(views)
    views.reset("vae")
    manifold = np.random.default_rng(0).random((10, 10, 8, 8)).astype("float32")
    latent = np.array([[0.0, 1.0], [2.0, -1.0], [0.5, 0.5]], "float32")
    views.show_probe(RecipeView("vae", 3, latent=latent, labels=np.array([0, 1, 1]), class_names=("0", "1"),
                                manifold=manifold))
    views.show_probe("a decision boundary, not ours")
    views.flush()
    assert views.grid_epoch == 3 and views.grid.shape == (10 * 9 - 1, 10 * 9 - 1)
    x, y = views.scatter.getData()
    assert list(x) == [0.0, 2.0, 0.5] and list(y) == [1.0, -1.0, 0.5]
    brushes = [p.brush().color().name() for p in views.scatter.points()]
    assert brushes[1] == brushes[2] != brushes[0]


def test_gan_view_puts_both_losses_on_one_plot_and_shows_16_samples(qtbot) -> None:
    views = RecipeViews()
    qtbot.addWidget(views)
    views.reset("gan")
    for epoch, (d, g) in enumerate([(1.2, 0.8), (0.7, 1.5)], start=1):
        views.add_epoch(SimpleNamespace(epoch=epoch, logs={"d_loss": d, "g_loss": g, "learning_rate": 1e-3}))
    samples = np.zeros((16, 28, 28), "float32")
    views.show_probe(RecipeView("gan", 2, rows=(("samples", samples),)))
    views.flush()
    assert list(views.d_curve.getData()[1]) == [1.2, 0.7] and list(views.g_curve.getData()[1]) == [0.8, 1.5]
    assert views.grid.shape == (4 * 29 - 1, 4 * 29 - 1)


def test_tile_lays_images_out_in_rows() -> None:
    images = np.stack([np.full((2, 2), v, "float32") for v in (0.0, 1.0, 0.25)])
    mosaic = tile(images, 2)
    assert mosaic.shape == (5, 5) and mosaic[0, 3] == 1.0 and mosaic[3, 0] == 0.25 and mosaic[4, 4] == 0.5


def test_a_vae_example_run_in_the_window_draws_the_latent_plane_and_keeps_both_parts_weights(
        qtbot, tmp_path, monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    from app.gui.gallery import open_copy
    from app.gui.main_window import MainWindow

    monkeypatch.setenv("LAYERFORGE_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(MainWindow, "notify", lambda self, icon, title, text, details="": None)
    monkeypatch.setattr(MainWindow, "ask_unsaved", lambda self: QMessageBox.StandardButton.Discard)
    document = open_copy(MODELS / "vae_mnist.json")
    document.project.training.update({"epochs": 1})
    window = MainWindow(document, autosave_directory=tmp_path / "autosave")
    qtbot.addWidget(window)
    window.show()
    window.show_training()
    panel = window.training
    qtbot.waitUntil(panel.can_train, timeout=60_000)
    with qtbot.waitSignal(panel.training_finished, timeout=TRAIN_TIMEOUT_MS) as finished:
        assert panel.start_training()
    assert finished.args[0].status == "finished", finished.args[0].reason
    views = panel.recipe_views
    qtbot.waitUntil(lambda: views.grid_epoch == 1, timeout=10_000)
    assert views.grid.shape == (10 * 29 - 1, 10 * 29 - 1)  # 10 x 10 decoded 28 x 28 digits
    assert len(views.scatter.getData()[0]) == 500  # the validation split's digits, coloured by label
    qtbot.waitUntil(lambda: bool(window.document.project.weights), timeout=10_000)
    kept = {window.document.graph.node(nid).name for nid in window.document.project.weights.layers}
    assert {"enc_conv_1", "z_mean", "z_log_var", "dec_dense", "rebuilt_digit"} <= kept
    assert "could not be kept" not in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: running_count() == 0, timeout=TRAIN_TIMEOUT_MS)


def test_a_gan_run_plots_both_losses_and_no_empty_loss_plot(qtbot) -> None:
    from tests.unit.test_recipes import gan_graph

    project = Project(graph=gan_graph(), name="gan", dataset={"name": "digits"},
                      training={"recipe": "gan", "metrics": [], "epochs": 2, "batch_size": 64,
                                "validation_split": 0.0})
    panel = TrainingPanel(Document(project))
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitUntil(panel.can_train, timeout=60_000)
    with qtbot.waitSignal(panel.training_finished, timeout=TRAIN_TIMEOUT_MS) as finished:
        assert panel.start_training()
        assert "loss" not in panel.plots.plot_keys()
    assert finished.args[0].status == "finished", finished.args[0].reason
    qtbot.waitUntil(lambda: panel.recipe_views.grid_epoch == 2, timeout=10_000)
    panel.recipe_views.flush()
    assert set(panel.plots.plot_keys()) == {"d_loss", "g_loss", "learning_rate"}
    assert len(panel.recipe_views.d_curve.getData()[0]) == len(panel.recipe_views.g_curve.getData()[0]) == 2
    assert panel.recipe_views.grid.shape == (4 * 9 - 1, 4 * 9 - 1)  # 16 samples of 8 x 8
    qtbot.waitUntil(lambda: running_count() == 0, timeout=TRAIN_TIMEOUT_MS)
    panel.set_document(None)


def test_the_settings_form_names_each_parts_role_or_the_node_that_does_not_fit(qtbot) -> None:
    from app.gui.training.settings_form import SettingsForm
    from tests.unit.test_recipes import vae_graph

    document = Document(Project(graph=vae_graph(decoder_in=3), name="vae", training={"recipe": "vae", "loss": "mse"}))
    form = SettingsForm(document)
    qtbot.addWidget(form)
    form.show()
    assert form.recipe_roles.isVisible() and "'z'" in form.recipe_roles.text()
    assert "latent size is 2" in form.recipe_roles.text()
    node = document.graph.node_by_name("z")
    assert node is not None
    document.edit("fix the latent size", lambda g: g.set_param(node.id, "batch_shape", [None, 2]))
    qtbot.waitUntil(lambda: "encoder: the sub-graph from Input 'pixels'" in form.recipe_roles.text(), timeout=5000)
    document.set_training({"recipe": "supervised"})
    assert not form.recipe_roles.isVisible()
    form.set_document(None)
