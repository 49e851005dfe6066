"""Maille: plan, run and evaluate territorial networks of assisted teleconsultation."""

__version__ = "0.1.0"
