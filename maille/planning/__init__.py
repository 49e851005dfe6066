"""Maille planning library: travel times, accessibility (E2SFCA / APL), coverage, location and sizing.

A pure library (NumPy, SciPy, HiGHS): it imports nothing from Django or the rest of Maille.
"""
