"""Insight views: step through a forward pass, Grad-CAM, weight/activation histograms, decision boundary.

Importing this package does not import Keras: the Keras work runs in background jobs that
import :mod:`app.keras_bridge.insight` when they start.
"""

from __future__ import annotations

from app.gui.insight.activation_view import ActivationView
from app.gui.insight.boundary_view import DecisionBoundaryView
from app.gui.insight.gradcam_view import GradCamView
from app.gui.insight.histogram_view import HistogramView
from app.gui.insight.panel import InsightPanel

__all__ = ["ActivationView", "DecisionBoundaryView", "GradCamView", "HistogramView", "InsightPanel"]
