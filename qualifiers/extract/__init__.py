"""Extractors turn a lead into answers with verbatim evidence; they never score."""
