"""Descriptive metadata: custom fields per tenant, spans and markers, SRT and WebVTT subtitles."""

from __future__ import annotations

import pytest

from mam.catalog import AssetChanges, ensure_tenant, update_asset
from mam.errors import MetadataError, NotFoundError
from mam.jobs import create_asset_with_job
from mam.metadata import (
    add_span,
    define_field,
    delete_span,
    import_subtitles,
    list_cues,
    parse_subtitles,
    validate_custom,
)
from mam.models import Asset, FieldDefinition, ShotRow
from mam.search import SearchRequest, search
from mam.services import Services

SRT = """1
00:00:01,000 --> 00:00:03,500
<i>各位观众晚上好</i>

2
00:01:02,250 --> 00:01:05,000
今天的主要内容有：
防汛抢险进展
"""

VTT = """WEBVTT

NOTE made by hand

intro
00:01.000 --> 00:03.500 align:start
各位观眾晚上好

01:00:02.250 --> 01:00:05.000
<v 主持人>防汛搶險進展</v>
"""


def _asset(services: Services) -> Asset:
    asset = Asset(
        tenant_id="default",
        title="晚间新闻",
        media_kind="video",
        original_filename="n.mxf",
        original_key="k",
        size=1,
        sha256="b" * 64,
        xxh3="0" * 16,
        duration=4000.0,
    )
    with services.session() as session:
        create_asset_with_job(session, asset, [])
    return asset


def _found(services: Services, query: str) -> list[tuple[str, float | None]]:
    with services.session() as session:
        result = search(session, "default", SearchRequest(q=query))
    return [(i.kind, i.start) for h in result.hits for i in h.inner]


def test_srt_and_webvtt_give_the_same_timed_lines() -> None:
    srt = parse_subtitles(SRT)
    vtt = parse_subtitles(VTT)
    assert [(c.start, c.end) for c in srt] == [(1.0, 3.5), (62.25, 65.0)]
    assert [(c.start, c.end) for c in vtt] == [(1.0, 3.5), (3602.25, 3605.0)]
    assert srt[0].text == "各位观众晚上好" and srt[1].text == "今天的主要内容有： 防汛抢险进展"
    assert vtt[1].text == "防汛搶險進展"


def test_a_file_without_cues_is_refused_with_the_expected_form() -> None:
    with pytest.raises(MetadataError, match="-->"):
        parse_subtitles("just some text")


def test_reimporting_a_track_replaces_its_lines_in_the_catalog_and_the_search(services: Services) -> None:
    asset = _asset(services)
    with services.session() as session:
        assert import_subtitles(session, "default", asset.id, SRT, "zh") == 2
    assert _found(services, "防汛抢险") == [("subtitle", 62.25)]
    with services.session() as session:
        import_subtitles(session, "default", asset.id, VTT, "zh")
        assert len(list_cues(session, "default", asset.id)) == 2
    assert _found(services, "防汛抢险") == [("subtitle", 3602.25)]
    assert _found(services, "晚上好") == [("subtitle", 1.0)]


def test_markers_are_found_with_their_in_point_and_gone_once_deleted(services: Services) -> None:
    asset = _asset(services)
    with services.session() as session:
        marker = add_span(session, "default", asset.id, "marker", 125.0, None, "", "县长讲话 精彩片段")
        add_span(session, "default", asset.id, "shot", 10.0, 20.0, "航拍湘江大桥", tags=["航拍"])
    assert _found(services, "讲话") == [("marker", 125.0)]
    assert _found(services, "湘江") == [("shot", 10.0)]
    with services.session() as session:
        delete_span(session, "default", asset.id, marker.id)
    assert _found(services, "讲话") == []


def test_a_span_out_of_order_or_of_an_unknown_kind_is_refused(services: Services) -> None:
    asset = _asset(services)
    with services.session() as session, pytest.raises(MetadataError, match="out is not before in"):
        add_span(session, "default", asset.id, "shot", 10.0, 5.0)
    with services.session() as session, pytest.raises(MetadataError, match="segment, shot, marker"):
        add_span(session, "default", asset.id, "scene", 1.0)


def test_custom_fields_are_validated_on_write_and_text_values_are_searchable(services: Services) -> None:
    asset = _asset(services)
    with services.session() as session:
        define_field(session, "default", "rating", "number")
        define_field(session, "default", "channel", "enum", options=["新闻综合", "公共"])
        define_field(session, "default", "airdate", "date")
        define_field(session, "default", "editor_note", "text")
        custom = {"rating": "4.5", "channel": "新闻综合", "airdate": "2024-03-01", "editor_note": "需要补拍镜头"}
        changed = update_asset(session, "default", asset.id, AssetChanges(descriptive={"custom": custom}))
        assert changed.custom == {
            "rating": 4.5,
            "channel": "新闻综合",
            "airdate": "2024-03-01",
            "editor_note": "需要补拍镜头",
        }
        for bad, message in (
            ({"rating": "high"}, "not a number"),
            ({"channel": "体育"}, "not one of"),
            ({"airdate": "March"}, "YYYY-MM-DD"),
            ({"unknown": "x"}, "unknown custom field"),
        ):
            with pytest.raises(MetadataError, match=message):
                update_asset(session, "default", asset.id, AssetChanges(descriptive={"custom": bad}))
            session.rollback()
    with services.session() as session:
        hits = search(session, "default", SearchRequest(q="补拍")).hits
    assert [h.asset.id for h in hits] == [asset.id]


def test_a_required_custom_field_cannot_be_left_empty(services: Services) -> None:
    asset = _asset(services)
    with services.session() as session:
        define_field(session, "default", "source", "keyword", required=True)
        with pytest.raises(MetadataError, match="required"):
            update_asset(session, "default", asset.id, AssetChanges(descriptive={"custom": {}}))


def _definition(kind: str) -> FieldDefinition:
    options = ["新闻综合", "公共"] if kind == "enum" else []
    return FieldDefinition(tenant_id="default", name="f", kind=kind, label="f", options=options, required=False)


@pytest.mark.parametrize(
    ("kind", "value", "stored"),
    [
        ("text", "  补拍镜头 ", "补拍镜头"),
        ("keyword", "XJ-2024-001", "XJ-2024-001"),
        ("number", "12", 12),
        ("number", 2.5, 2.5),
        ("date", "2024-03-01", "2024-03-01"),
        ("enum", "公共", "公共"),
    ],
)
def test_each_custom_field_kind_stores_a_valid_value_in_its_normal_form(
    kind: str, value: object, stored: object
) -> None:
    definition = _definition(kind)
    assert validate_custom([definition], {}, {"f": value}) == {"f": stored}


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("text", 42, "not text"),
        ("keyword", "k" * 201, "at most 200"),
        ("number", True, "not a number"),
        ("number", "4,5", "not a number"),
        ("date", "01/03/2024", "YYYY-MM-DD"),
        ("enum", "体育", "not one of"),
    ],
)
def test_each_custom_field_kind_refuses_a_wrong_value(kind: str, value: object, message: str) -> None:
    definition = _definition(kind)
    with pytest.raises(MetadataError, match=message):
        validate_custom([definition], {}, {"f": value})


def test_a_custom_field_of_one_tenant_cannot_be_written_by_another(services: Services) -> None:
    asset = _asset(services)
    with services.session() as session:
        ensure_tenant(session, "other", "Another county")
        define_field(session, "other", "channel", "keyword")
        with pytest.raises(MetadataError, match="unknown custom field 'channel'"):
            update_asset(session, "default", asset.id, AssetChanges(descriptive={"custom": {"channel": "公共"}}))


def test_a_detected_shot_is_catalogued_by_number_and_found_at_its_own_timecodes(services: Services) -> None:
    asset = _asset(services)
    with services.session() as session:
        for n, (start, end) in enumerate([(0.0, 4.0), (4.0, 9.52)], start=1):
            session.add(
                ShotRow(
                    asset_id=asset.id,
                    number=n,
                    first_frame=round(start * 25),
                    last_frame=round(end * 25) - 1,
                    start=start,
                    end=end,
                    start_timecode=f"{n}",
                    end_timecode=f"{n}",
                    transition="cut",
                )
            )
        session.commit()
        span = add_span(session, "default", asset.id, "shot", title="航拍湘江大桥", tags=["航拍"], shot=2)
        assert (span.start, span.end) == (4.0, 9.52)
        with pytest.raises(NotFoundError, match="no detected shot 3"):
            add_span(session, "default", asset.id, "shot", title="x", shot=3)
        with pytest.raises(MetadataError, match="kind 'shot'"):
            add_span(session, "default", asset.id, "marker", shot=1)
        with pytest.raises(MetadataError, match="in point"):
            add_span(session, "default", asset.id, "segment")
    assert _found(services, "大桥") == [("shot", 4.0)]
    assert _found(services, "hangpai") == [("shot", 4.0)]  # the shot's tags have their pinyin
