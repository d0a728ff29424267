import pytest

from catalog.services import clear_index_cache


@pytest.fixture(autouse=True)
def _fresh_index_cache():
    """The matching index is cached per process; each test starts from its own database state."""
    clear_index_cache()
    yield
    clear_index_cache()


@pytest.fixture
def seeded(db):
    from catalog.seed import load_seed_catalog

    return load_seed_catalog()
