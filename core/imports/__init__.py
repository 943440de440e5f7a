"""Bulk imports into an agency."""
