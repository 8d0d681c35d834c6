"""The model of a Layerforge project: pure Python and networkx.

Nothing here imports Qt, pyqtgraph, Keras or TensorFlow (the import-linter contracts in
pyproject.toml check it), so shapes, parameter counts and problems appear long before
TensorFlow has loaded, and the command line and tests can use the model without them.
"""
