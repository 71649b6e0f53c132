"""Violation categories, legal bases and severities, loaded from a shipped data file."""

from mangxanh.core.taxonomy.loader import load_taxonomy, parse_taxonomy
from mangxanh.core.taxonomy.model import Action, Category, LegalBasis, LegalReference, Severity, Taxonomy

__all__ = [
    "Action", "Category", "LegalBasis", "LegalReference", "Severity", "Taxonomy", "load_taxonomy", "parse_taxonomy",
]
