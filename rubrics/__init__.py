"""The bundled rubrics, installed as the package `qualifiers.rubrics` (see setup.py)."""
