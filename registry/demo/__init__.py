"""Synthetic Beijing demo data: a deterministic generator (``generate``) and a COPY loader (``load``).

``python manage.py seed_demo`` is the entry point; ``bench/`` measures it.
"""
