"""The extraction cache in the database, a batch at a time; and the schema check that lets
a start-up on a current database skip Alembic."""

from __future__ import annotations

from alembic.script import ScriptDirectory

from bot.store.cache import KEYS_PER_QUERY, DatabaseExtractionCache
from bot.store.database import _alembic_config, head_revisions, make_engine, schema_is_current
from qualifiers.models import Answer, Extraction, Usage


def extraction(value: int) -> Extraction:
    return Extraction(answers={"budget": Answer(value=value, evidence=f"{value} budget")})


def test_a_batch_is_read_and_written_whole_and_the_first_answer_stays(repository):
    cache = DatabaseExtractionCache(repository)
    keys = [f"{n:064d}" for n in range(KEYS_PER_QUERY + 20)]  # more than one SELECT's worth
    cache.put_many([(key, extraction(n), None) for n, key in enumerate(keys)])
    cache.put_many([(keys[0], extraction(-1), Usage(model="m")), (keys[-1], extraction(-2), None)])

    found = cache.get_many([*keys, "f" * 64])

    assert len(found) == len(keys)
    assert found[keys[0]] == extraction(0)
    assert found[keys[-1]] == extraction(len(keys) - 1)


def test_the_schema_check_agrees_with_alembic(repository):
    heads = ScriptDirectory.from_config(_alembic_config()).get_heads()

    assert head_revisions() == set(heads)
    assert schema_is_current(repository.engine)


def test_an_empty_database_is_not_current(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")

    assert not schema_is_current(engine)
    engine.dispose()
