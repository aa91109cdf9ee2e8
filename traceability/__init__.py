"""Sealtrace domain core: identifiers, master data, tokens, custody chain and storage."""
