"""The training settings form: one editor per key of ``project.training``.

Built from the lists in :mod:`app.core.training_settings`, so a new optimizer or loss there
appears here without GUI work. Every change is written through
:meth:`Document.set_training` (one undo step), and the form redraws from the project on
``settings_changed``, so undo, redo and file loads show up the same way as typing does.
Fields that do not apply are hidden (momentum only for SGD, weight decay only for AdamW,
decay parameters only for step/exponential schedules) or greyed out (callback options while
their callback is off), except when they hold a problem, which is always shown in red
under its field.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.recipes import RecipeError, plan_recipe
from app.core.training_settings import (
    CLASS_WEIGHTS,
    DEFAULT_SETTINGS,
    DENOISE,
    LOSSES,
    METRICS,
    MONITORS,
    OPTIMIZERS,
    RECIPES,
    SCHEDULES,
    Choice,
    check_settings,
    learning_rate_at,
    with_defaults,
)
from app.gui.document import Document, follow_document
from app.gui.theme import ERROR, TEXT_MUTED

MONITOR_CHOICES: tuple[Choice, ...] = (
    Choice("val_loss", "Validation loss", "Watch the loss on the validation split (needs one)."),
    Choice("loss", "Training loss", "Watch the loss on the training data."),
)
assert tuple(c.key for c in MONITOR_CHOICES) == MONITORS

COMBOS: dict[str, tuple[Choice, ...]] = {
    "optimizer": OPTIMIZERS,
    "loss": LOSSES,
    "schedule": SCHEDULES,
    "class_weight": CLASS_WEIGHTS,
    "monitor": MONITOR_CHOICES,
    "recipe": RECIPES,
    "denoise": DENOISE,
}

INTEGERS: dict[str, tuple[int, int]] = {
    "batch_size": (1, 1_000_000),
    "epochs": (1, 100_000),
    "decay_epochs": (1, 100_000),
    "warmup_epochs": (0, 100_000),
    "seed": (0, 2**31 - 1),
    "patience": (0, 100_000),
    "reduce_lr_patience": (0, 100_000),
    "fine_tune_layers": (0, 100_000),
    "fine_tune_epochs": (0, 100_000),
}
FLOATS = ("learning_rate", "momentum", "weight_decay", "decay_rate", "validation_split", "test_split", "clipnorm",
          "reduce_lr_factor", "fine_tune_learning_rate", "denoise_strength", "beta", "label_smoothing")
BOOLEANS = ("nesterov", "shuffle", "early_stopping", "restore_best_weights", "reduce_lr", "checkpoint", "multi_gpu")

FIELDS: dict[str, tuple[str, str]] = {
    "recipe": ("Recipe", "What training learns: the targets (supervised), the input itself (autoencoder), a "
                         "latent space to sample from (VAE), or to generate samples (GAN). VAE and GAN need two "
                         "separate sub-graphs on the canvas, each with its own Input."),
    "denoise": ("Denoising", "Corrupt the autoencoder's input (never its target), so it learns to clean images."),
    "denoise_strength": ("Noise strength", "Gaussian: the noise's standard deviation; masking: the share of "
                                           "values set to zero."),
    "beta": ("KL weight (beta)", "How much the VAE's KL term counts against the reconstruction: 1 is the "
                                 "classic VAE; larger gives a smoother, blurrier latent space."),
    "label_smoothing": ("Label smoothing", "The GAN's discriminator learns 'real' as 1 minus this (0.1 is "
                                           "usual), so it stays less sure of itself and the generator keeps "
                                           "learning."),
    "optimizer": ("Optimizer", "How the weights are changed after each batch."),
    "learning_rate": ("Learning rate", "How big a step each update takes. Too big: the loss jumps or becomes NaN; "
                                       "too small: training crawls. 0.001 suits Adam."),
    "momentum": ("Momentum", "Keeps a share of the previous step (0 = none, 0.9 is usual)."),
    "nesterov": ("Nesterov momentum", "Looks ahead along the momentum before computing the gradient."),
    "weight_decay": ("Weight decay", "Pulls every weight a little towards zero at each step (AdamW)."),
    "clipnorm": ("Gradient clipping", "Largest allowed gradient norm; 0 = no clipping. Helps when the loss "
                                      "explodes, e.g. in recurrent networks."),
    "schedule": ("Schedule", "How the learning rate changes during training."),
    "decay_rate": ("Decay rate", "Factor the learning rate is multiplied by every 'decay every' epochs."),
    "decay_epochs": ("Decay every (epochs)", "How many epochs one decay step lasts."),
    "warmup_epochs": ("Warm-up (epochs)", "Epochs over which the learning rate rises from near zero to its value "
                                          "(0 = no warm-up)."),
    "loss": ("Loss", "What training minimises: how wrong the model's answers are."),
    "metrics": ("Metrics", "Extra numbers reported each epoch; they do not change training."),
    "batch_size": ("Batch size", "Samples per weight update. Larger batches are faster per epoch but update "
                                 "less often."),
    "epochs": ("Epochs", "How many times training goes through the whole training split."),
    "validation_split": ("Validation share", "Share of the data held back to check the model on unseen samples "
                                             "after each epoch (val_loss)."),
    "test_split": ("Test share", "Share of the data kept apart until training ends, for the final test metrics."),
    "shuffle": ("Shuffle each epoch", "Visit the training samples in a new random order every epoch."),
    "seed": ("Random seed", "Same seed, same split and same starting weights: runs can be repeated."),
    "class_weight": ("Class weights", "Make rare classes count more."),
    "early_stopping": ("Early stopping", "Stop when the watched loss has not improved for 'patience' epochs."),
    "patience": ("Patience (epochs)", "Epochs without improvement before stopping."),
    "restore_best_weights": ("Restore best weights", "On stopping, go back to the weights of the best epoch."),
    "monitor": ("Watch", "The number early stopping, reduce-on-plateau and checkpoints look at."),
    "reduce_lr": ("Reduce LR on plateau", "Lower the learning rate when the watched loss stops improving."),
    "reduce_lr_factor": ("Reduce by factor", "The learning rate is multiplied by this (e.g. 0.5 halves it)."),
    "reduce_lr_patience": ("Plateau patience", "Epochs without improvement before lowering the rate."),
    "checkpoint": ("Save best model", "Write the best model so far to a .keras file after each epoch."),
    "checkpoint_path": ("Checkpoint file", "A .keras file name; relative names go next to the project file."),
    "tensorboard_dir": ("TensorBoard log folder", "Write TensorBoard logs into this folder, next to the project "
                                                  "file, one sub-folder per run (empty: no logs). Watch them with "
                                                  "'tensorboard --logdir FOLDER'."),
    "multi_gpu": ("Use all GPUs", "With more than one GPU, train on all of them (MirroredStrategy)."),
    "pretrained_weights": ("Pretrained weights file", "Start from the weights in this file (.keras, .weights.h5 or "
                                                      "a legacy .h5), matched layer by layer; empty: none. Relative "
                                                      "to the project's folder. Training reports what matched."),
    "fine_tune_epochs": ("Fine-tuning epochs", "Two-phase training: after 'Epochs' with the backbone frozen, "
                                               "train this many more with its top layers unfrozen (0 = one "
                                               "phase only)."),
    "fine_tune_layers": ("Unfreeze top layers", "How many of the backbone's top layers phase 2 unfreezes (with "
                                                "no backbone node: of the frozen layers)."),
    "fine_tune_learning_rate": ("Fine-tuning learning rate", "The smaller learning rate of phase 2, so the "
                                                             "pretrained weights change only a little (1e-5 is "
                                                             "usual for Adam)."),
}

GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Recipe", ("recipe", "denoise", "denoise_strength", "beta", "label_smoothing")),
    ("Optimizer", ("optimizer", "learning_rate", "momentum", "nesterov", "weight_decay", "clipnorm")),
    ("Learning-rate schedule", ("schedule", "decay_rate", "decay_epochs", "warmup_epochs")),
    ("Loss and metrics", ("loss", "metrics")),
    ("Data and batches", ("epochs", "batch_size", "validation_split", "test_split", "shuffle", "class_weight",
                          "seed")),
    ("Callbacks", ("early_stopping", "patience", "restore_best_weights", "reduce_lr", "reduce_lr_factor",
                   "reduce_lr_patience", "checkpoint", "checkpoint_path", "monitor", "tensorboard_dir")),
    ("Transfer learning", ("pretrained_weights", "fine_tune_epochs", "fine_tune_layers", "fine_tune_learning_rate")),
    ("Hardware", ("multi_gpu",)),
)
assert sorted(k for _, keys in GROUPS for k in keys) == sorted(DEFAULT_SETTINGS)

NOT_A_NUMBER = "enter a number, such as 0.001 or 1e-3"


def _positive(value: Any) -> bool:
    """A whole number above zero (fine-tuning on)."""
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def format_number(value: Any) -> str:
    """A setting's number as people write it: 0.001, 1e-05, 0.2 (other values as they are)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "" if value is None else str(value)
    return f"{value:.6g}"


def parse_number(text: str) -> float | None:
    """The number typed (a comma works as decimal point), or None."""
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class _Field:
    """One setting's row: its editor, the inline problem label and the row container."""

    def __init__(self, key: str, editor: QWidget, container: QWidget, problem: QLabel, form: QFormLayout) -> None:
        self.key = key
        self.editor = editor
        self.container = container
        self.problem = problem
        self.form = form
        self.local_problem = ""


class SettingsForm(QWidget):
    """Every training setting of the document's project, written back one undo step per change."""

    def __init__(self, document: Document | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document: Document | None = None
        self._fields: dict[str, _Field] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(8)
        self.general_problems = QLabel(self)
        self.general_problems.setWordWrap(True)
        self.general_problems.setStyleSheet(f"color: {ERROR};")
        self.general_problems.hide()
        layout.addWidget(self.general_problems)
        for title, keys in GROUPS:
            box = QGroupBox(title, self)
            form = QFormLayout(box)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
            for key in keys:
                self._add_field(key, form, box)
            layout.addWidget(box)
            if title == "Recipe":
                self.recipe_roles = QLabel(box)  # which sub-graph plays which part, or why none fits
                self.recipe_roles.setWordWrap(True)
                self.recipe_roles.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                form.addRow(self.recipe_roles)
            if title == "Learning-rate schedule":
                self.schedule_preview = QLabel(box)
                self.schedule_preview.setWordWrap(True)
                self.schedule_preview.setStyleSheet(f"color: {TEXT_MUTED};")
                form.addRow(self.schedule_preview)
        layout.addStretch(1)
        self.set_document(document)

    # --- building -----------------------------------------------------------------------------

    def _add_field(self, key: str, form: QFormLayout, parent: QWidget) -> None:
        label, tip = FIELDS[key]
        editor = self._make_editor(key, parent)
        editor.setToolTip(tip)
        editor.setObjectName(f"setting_{key}")
        container = QWidget(parent)
        box = QVBoxLayout(container)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addWidget(editor)
        problem = QLabel(container)
        problem.setWordWrap(True)
        problem.setStyleSheet(f"color: {ERROR};")
        problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        problem.hide()
        box.addWidget(problem)
        if isinstance(editor, QCheckBox):
            editor.setText(label)
            form.addRow(container)
        else:
            row_label = QLabel(label, parent)
            row_label.setToolTip(tip)
            row_label.setBuddy(editor)
            form.addRow(row_label, container)
        self._fields[key] = _Field(key, editor, container, problem, form)

    def _make_editor(self, key: str, parent: QWidget) -> QWidget:
        if key in COMBOS:
            combo = QComboBox(parent)
            for choice in COMBOS[key]:
                combo.addItem(choice.label, choice.key)
                combo.setItemData(combo.count() - 1, choice.hint, Qt.ItemDataRole.ToolTipRole)
            combo.activated.connect(lambda _index, k=key, c=combo: self._write(k, c.currentData()))
            return combo
        if key in INTEGERS:
            spin = QSpinBox(parent)
            spin.setRange(*INTEGERS[key])
            spin.setKeyboardTracking(False)  # one write when typing ends, not one per digit
            spin.setAccelerated(True)
            spin.valueChanged.connect(lambda value, k=key: self._write(k, int(value)))
            return spin
        if key in FLOATS:
            edit = QLineEdit(parent)
            edit.setPlaceholderText(format_number(DEFAULT_SETTINGS[key]))
            edit.editingFinished.connect(lambda k=key, e=edit: self._number_edited(k, e))
            return edit
        if key in BOOLEANS:
            check = QCheckBox(parent)
            check.toggled.connect(lambda on, k=key: self._write(k, bool(on)))
            return check
        if key == "metrics":
            metrics = QListWidget(parent)
            for choice in METRICS:
                item = QListWidgetItem(choice.label, metrics)
                item.setData(Qt.ItemDataRole.UserRole, choice.key)
                item.setToolTip(choice.hint)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Unchecked)
            rows = metrics.sizeHintForRow(0) * metrics.count()
            metrics.setFixedHeight(rows + 2 * metrics.frameWidth() + 4)  # every metric visible, no empty space
            metrics.itemChanged.connect(lambda _item: self._write("metrics", self._checked_metrics()))
            return metrics
        if key == "pretrained_weights":
            edit = QLineEdit(parent)
            edit.setPlaceholderText("none (e.g. backbone.keras, next to the project file)")
            edit.editingFinished.connect(lambda e=edit: self._write("pretrained_weights", e.text().strip()))
            return edit
        if key == "checkpoint_path":
            edit = QLineEdit(parent)
            edit.setPlaceholderText("model.best.keras (next to the project file)")
            edit.editingFinished.connect(lambda e=edit: self._write("checkpoint_path", e.text().strip()))
            return edit
        if key == "tensorboard_dir":
            edit = QLineEdit(parent)
            edit.setPlaceholderText("none (e.g. logs, next to the project file)")
            edit.editingFinished.connect(lambda e=edit: self._write("tensorboard_dir", e.text().strip()))
            return edit
        raise KeyError(key)

    # --- the document ----------------------------------------------------------------------------

    @property
    def document(self) -> Document | None:
        return self._document

    def set_document(self, document: Document | None) -> None:
        follow_document(self._document, document, {"settings_changed": self.refresh,
                                                   "locked_changed": self._locked_changed,
                                                   "analysis_changed": self._show_roles})
        self._document = document
        self._locked_changed(document.locked if document is not None else False)
        self.refresh()

    def _locked_changed(self, locked: bool) -> None:
        self.setEnabled(self._document is not None and not locked)

    def _settings(self) -> dict[str, Any]:
        return with_defaults(self._document.project.training if self._document is not None else None)

    def _write(self, key: str, value: Any) -> None:
        document = self._document
        if document is None:
            return
        field = self._fields[key]
        field.local_problem = ""
        try:
            changed = document.set_training({key: value})
        except PermissionError as err:
            field.local_problem = str(err)
            changed = False
        if not changed:  # settings_changed did not come: show the stored value and any local problem
            self.refresh()

    def _number_edited(self, key: str, edit: QLineEdit) -> None:
        value = parse_number(edit.text())
        if value is None:
            self._fields[key].local_problem = NOT_A_NUMBER
            self._show_problems()
            return
        current = self._settings().get(key)
        if isinstance(current, (int, float)) and not isinstance(current, bool) and current == value:
            self._fields[key].local_problem = ""
            edit.setText(format_number(value))  # normalise the text ("1e-3" -> "0.001"); nothing to store
            self.refresh()
            return
        edit.setText(format_number(value))
        self._write(key, value)

    def _checked_metrics(self) -> list[str]:
        widget = self._fields["metrics"].editor
        assert isinstance(widget, QListWidget)
        return [widget.item(i).data(Qt.ItemDataRole.UserRole) for i in range(widget.count())
                if widget.item(i).checkState() == Qt.CheckState.Checked]

    # --- showing -----------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Show the project's settings (after an edit, an undo, a redo or another document)."""
        settings = self._settings()
        for key, field in self._fields.items():
            self._show_value(field, settings.get(key))
        self._update_visibility(settings)
        self._show_problems()
        self._show_roles()
        self._show_schedule(settings)

    def _show_value(self, field: _Field, value: Any) -> None:
        editor = field.editor
        with QSignalBlocker(editor):
            if isinstance(editor, QComboBox):
                index = editor.findData(value)
                if index < 0:  # a value this app does not know (a newer file): show it, check_settings explains
                    editor.addItem(f"{value} (unknown)", value)
                    index = editor.count() - 1
                editor.setCurrentIndex(index)
            elif isinstance(editor, QSpinBox):
                if isinstance(value, int) and not isinstance(value, bool):
                    editor.setValue(value)
            elif isinstance(editor, QCheckBox):
                editor.setChecked(bool(value) if isinstance(value, bool) else False)
            elif isinstance(editor, QListWidget):
                chosen = set(value) if isinstance(value, list) else set()
                for i in range(editor.count()):
                    item = editor.item(i)
                    state = Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole) in chosen \
                        else Qt.CheckState.Unchecked
                    if item.checkState() != state:
                        item.setCheckState(state)
            elif isinstance(editor, QLineEdit):
                if field.key in FLOATS:
                    # Keep what the user typed while it is not a number, so they can correct it.
                    if field.local_problem != NOT_A_NUMBER and (parse_number(editor.text()) != value
                                                                 or not editor.text()):
                        editor.setText(format_number(value))
                else:
                    text = value if isinstance(value, str) else ""
                    if editor.text() != text:
                        editor.setText(text)

    def _show_roles(self, _analysis: object = None) -> None:
        """Under the recipe: the role each sub-graph plays, or, in red, why the graph does not fit
        (naming the node), from the core's shapes: no Keras, so it follows every edit."""
        document = self._document
        recipe = self._settings().get("recipe")
        if document is None or recipe == "supervised" or not isinstance(recipe, str):
            self.recipe_roles.hide()
            return
        analysis = document.analysis
        try:
            plan = None if analysis is None or not analysis.valid else \
                plan_recipe(document.graph, self._settings(), analysis)
        except (RecipeError, KeyError) as err:
            text, color = (str(err) if isinstance(err, RecipeError) else ""), ERROR
        else:
            text = plan.describe() if plan is not None else "Fix the model's problems first; then the roles show here."
            color = TEXT_MUTED
        self.recipe_roles.setText(text)
        self.recipe_roles.setStyleSheet(f"color: {color};")
        self.recipe_roles.setVisible(bool(text))

    def _update_visibility(self, settings: dict[str, Any]) -> None:
        optimizer, schedule = settings.get("optimizer"), settings.get("schedule")
        shown = {
            "momentum": optimizer == "sgd",
            "nesterov": optimizer == "sgd",
            "weight_decay": optimizer == "adamw",
            "decay_rate": schedule in ("step", "exponential"),
            "decay_epochs": schedule in ("step", "exponential"),
            "denoise": settings.get("recipe") == "autoencoder",
            "denoise_strength": settings.get("recipe") == "autoencoder",
            "beta": settings.get("recipe") == "vae",
            "label_smoothing": settings.get("recipe") == "gan",
        }
        enabled = {
            "patience": settings.get("early_stopping") is True,
            "restore_best_weights": settings.get("early_stopping") is True,
            "reduce_lr_factor": settings.get("reduce_lr") is True,
            "reduce_lr_patience": settings.get("reduce_lr") is True,
            "checkpoint_path": settings.get("checkpoint") is True,
            "fine_tune_layers": _positive(settings.get("fine_tune_epochs")),
            "fine_tune_learning_rate": _positive(settings.get("fine_tune_epochs")),
            "monitor": any(settings.get(k) is True for k in ("early_stopping", "reduce_lr", "checkpoint")),
            "denoise_strength": settings.get("denoise") in ("gaussian", "masking"),
        }
        problem_keys = self._problem_keys(settings)
        for key, field in self._fields.items():
            visible = shown.get(key, True) or key in problem_keys
            field.form.setRowVisible(field.container, visible)
            field.editor.setEnabled(enabled.get(key, True) or key in problem_keys)

    def _problem_keys(self, settings: dict[str, Any]) -> set[str]:
        keys = {p.key for p in check_settings(settings)}
        keys.update(k for k, f in self._fields.items() if f.local_problem)
        return keys

    def problems(self) -> dict[str, str]:
        """Problem text by setting key, as shown under the fields (for tests and the panel)."""
        found: dict[str, list[str]] = {}
        for problem in check_settings(self._settings()):
            found.setdefault(problem.key, []).append(problem.message)
        for key, field in self._fields.items():
            if field.local_problem:
                found.setdefault(key, []).insert(0, field.local_problem)
        return {key: "; ".join(messages) for key, messages in found.items()}

    def _show_problems(self) -> None:
        found = self.problems() if self._document is not None else {}
        general = []
        for key, field in self._fields.items():
            text = found.get(key, "")
            field.problem.setText(text)
            field.problem.setVisible(bool(text))
            field.editor.setStyleSheet(f"border: 1px solid {ERROR};" if text and isinstance(
                field.editor, QLineEdit) else "")
            if text:
                field.form.setRowVisible(field.container, True)
                field.editor.setEnabled(True)
        general = [f"{key}: {text}" for key, text in found.items() if key not in self._fields]
        self.general_problems.setText("\n".join(general))
        self.general_problems.setVisible(bool(general))

    def _show_schedule(self, settings: dict[str, Any]) -> None:
        """A one-line preview of the schedule: the rate at a few epochs, computed as training will."""
        try:
            epochs = int(settings["epochs"])
            if check_settings(settings) or epochs < 1:
                self.schedule_preview.setText("")
                return
            per_epoch = 10
            marks = sorted({0, epochs // 4, epochs // 2, (3 * epochs) // 4, epochs - 1})
            parts = [f"epoch {m + 1}: {learning_rate_at(settings, m * per_epoch + per_epoch - 1, per_epoch):.3g}"
                     for m in marks]
        except (KeyError, TypeError, ValueError, ZeroDivisionError, OverflowError):
            self.schedule_preview.setText("")
            return
        self.schedule_preview.setText("Learning rate at the end of " + " · ".join(parts))

    # --- for tests and the panel ------------------------------------------------------------------------

    def editor(self, key: str) -> QWidget:
        """The editor widget of setting ``key``."""
        return self._fields[key].editor

    def is_shown(self, key: str) -> bool:
        field = self._fields[key]
        return field.form.isRowVisible(field.container)

    def problem_label(self, key: str) -> QLabel:
        return self._fields[key].problem

    def set_value(self, key: str, value: Any) -> None:
        """Set an editor as a user would and commit it (tests drive the form through this)."""
        editor = self._fields[key].editor
        if isinstance(editor, QComboBox):
            index = editor.findData(value)
            editor.setCurrentIndex(index)
            editor.activated.emit(index)
        elif isinstance(editor, QSpinBox):
            editor.setValue(int(value))
        elif isinstance(editor, QCheckBox):
            editor.setChecked(bool(value))
        elif isinstance(editor, QLineEdit):
            editor.setText(value if isinstance(value, str) else format_number(value))
            editor.editingFinished.emit()
        elif isinstance(editor, QListWidget):
            wanted = set(value)
            with QSignalBlocker(editor):
                for i in range(editor.count()):
                    item = editor.item(i)
                    checked = item.data(Qt.ItemDataRole.UserRole) in wanted
                    item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self._write("metrics", self._checked_metrics())

