"""Gaussian-process Bayesian optimization: kernel, warping, regressor, acquisition and its optimizer."""

from __future__ import annotations

from .optimizer import GPOptimizer

__all__ = ["GPOptimizer"]
