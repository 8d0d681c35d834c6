"""Datasets for training: bundled offline sets, the user's own files, splits, and fitting data to a model.

``import app.data`` is light (numpy only): pandas, scikit-learn, Pillow, mlxtend, statsmodels and
vega_datasets are imported inside the loaders that need them. Nothing here imports Qt or Keras.
"""

from __future__ import annotations

from app.data.bundled import BUNDLED, list_datasets
from app.data.dataset import BundledDataset, Dataset
from app.data.errors import DataError, DataMismatch
from app.data.fit import Prepared, TensorSpec, model_io, prepare
from app.data.loading import FILE_KINDS, clear_cache, dataset_ref_from_text, load_dataset
from app.data.split import Part, Splits, split_dataset

__all__ = [
    "BUNDLED",
    "FILE_KINDS",
    "BundledDataset",
    "DataError",
    "DataMismatch",
    "Dataset",
    "Part",
    "Prepared",
    "Splits",
    "TensorSpec",
    "clear_cache",
    "dataset_ref_from_text",
    "list_datasets",
    "load_dataset",
    "model_io",
    "prepare",
    "split_dataset",
]
