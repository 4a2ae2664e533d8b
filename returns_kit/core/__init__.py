"""The base layer: month windows, the reason taxonomy, statistics, JSON cleaning, atomic writes.

Imports nothing of the kit above it (only :mod:`returns_kit.config`, :mod:`returns_kit.errors`
and :mod:`returns_kit.model`).
"""
