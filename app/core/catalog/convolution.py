"""convolution layers (filled in by the catalog work)."""

from app.core.catalog.spec import LayerSpec

SPECS: tuple[LayerSpec, ...] = ()
