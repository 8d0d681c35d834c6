"""The only package that imports Keras/TensorFlow, and always lazily (inside functions),
so that ``import app`` and the editor start without waiting for TensorFlow."""
