"""Vietnamese text normalisation that keeps character offsets back to the original."""

from mangxanh.core.text.normalise import MappedText, Token, fold_accents, has_diacritics, loose_fold, normalise, tokens

__all__ = ["MappedText", "Token", "fold_accents", "has_diacritics", "loose_fold", "normalise", "tokens"]
