"""The search index follows the writes of the catalog's own sessions (installed when services open),
not those of every SQLAlchemy session in the process."""

from __future__ import annotations

from pathlib import Path

from conftest import catalog_asset, make_settings
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from mam.models import SearchEntry
from mam.search import SearchRequest, search
from mam.search.index import _after_flush, install_index_hook
from mam.services import open_services


def test_the_services_sessions_index_what_they_write_and_other_sessions_do_not(tmp_path: Path) -> None:
    services = open_services(make_settings(tmp_path / "home"))
    try:
        assert not event.contains(Session, "after_flush", _after_flush)  # importing installs nothing
        with Session(services.engine) as session:  # a session of someone else's making
            session.add(catalog_asset("default", 1, "湘乡防汛会议"))
            session.commit()
            assert session.scalar(select(func.count()).select_from(SearchEntry)) == 0
        with services.session() as session:
            session.add(catalog_asset("default", 2, "湘乡抗旱会议"))
            session.commit()
            found = search(session, "default", SearchRequest(q="湘乡"))
            assert [h.asset.title for h in found.hits] == ["湘乡抗旱会议"]
    finally:
        services.close()


def test_installing_the_hook_twice_indexes_each_write_once(tmp_path: Path) -> None:
    services = open_services(make_settings(tmp_path / "home"))
    try:
        install_index_hook(services.sessions)
        with services.session() as session:
            session.add(catalog_asset("default", 1, "湘乡防汛会议"))
            session.commit()
            assert session.scalar(select(func.count()).select_from(SearchEntry)) == 1
    finally:
        services.close()


def test_each_new_catalog_gets_its_hook_however_many_were_opened_and_closed_before(tmp_path: Path) -> None:
    """SQLAlchemy keys its listener registry by ``id()``: a new session factory at the address of a
    collected one must still be hooked."""
    for n in range(12):
        services = open_services(make_settings(tmp_path / f"home{n}"))
        try:
            with services.session() as session:
                session.add(catalog_asset("default", n, f"湘乡会议 {n}"))
                session.commit()
                assert session.scalar(select(func.count()).select_from(SearchEntry)) == 1, n
        finally:
            services.close()
        del services, session
