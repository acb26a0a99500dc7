"""Consolidation: the year's picture derived from stored updates, and its exports (Excel, Word)."""
