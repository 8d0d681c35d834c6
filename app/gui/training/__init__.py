"""The training panel: dataset picker and preview, settings, live plots, results and run history."""
