"""Operator pages (运营): accounts, and later the catalogue, calendar and settings."""
