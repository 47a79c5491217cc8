"""Storage: SQLAlchemy tables, Alembic migrations and the repository the rest of leadbot uses."""
