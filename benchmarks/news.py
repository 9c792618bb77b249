"""Generated Chinese county news metadata for the search benchmarks (benchmarks/search.py): places,
programmes, reporters and topics of a county media centre, a tenth of the titles in traditional script."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from mam.models import Asset

__all__ = ["make_asset"]

PLACES = [
    "湘乡",
    "东山街道",
    "月山镇",
    "壶天镇",
    "棋梓镇",
    "金石镇",
    "毛田镇",
    "龙洞镇",
    "泉塘镇",
    "山枣镇",
    "翻江镇",
    "新湘路街道",
    "昆仑桥街道",
    "韶山",
    "湘潭",
    "长沙",
]
PROGRAMMES = [
    "湘乡新闻",
    "新闻联播",
    "今日关注",
    "民生直通车",
    "农业天地",
    "政务在线",
    "文化湘乡",
    "体育快讯",
    "法治视点",
    "乡村振兴",
]
REPORTERS = [
    "张三",
    "李四",
    "王五",
    "赵六",
    "刘洋",
    "陈静",
    "杨帆",
    "黄磊",
    "周敏",
    "吴昊",
    "徐丽",
    "孙伟",
    "胡军",
    "朱琳",
    "高翔",
    "林峰",
    "何芳",
    "郭强",
    "马超",
    "罗佳",
]
TOPICS = [
    "防汛",
    "抢险",
    "安全生产",
    "疫情防控",
    "乡村振兴",
    "招商引资",
    "项目建设",
    "环境保护",
    "文明创建",
    "教育",
    "医疗",
    "养老",
    "就业",
    "交通",
    "水利",
    "农业",
    "茶叶",
    "春耕",
    "秋收",
    "旅游",
    "文化",
    "体育",
    "消防",
    "扶贫",
    "党建",
    "会议",
    "调研",
    "座谈",
    "志愿服务",
    "民生",
]
ACTIONS = ["召开", "部署", "推进", "开展", "举行", "检查", "调研", "启动", "表彰", "慰问"]
SUBJECTS = [
    "市委",
    "市政府",
    "市人大",
    "市政协",
    "县委书记",
    "镇党委",
    "街道办事处",
    "村民",
    "企业",
    "学校",
    "医院",
    "志愿者",
]


def make_asset(rng: random.Random, tenant: str, n: int) -> Asset:
    place, topic, topic2 = rng.choice(PLACES), rng.choice(TOPICS), rng.choice(TOPICS)
    title = f"{place}{rng.choice(SUBJECTS)}{rng.choice(ACTIONS)}{topic}工作"
    description = (
        f"{rng.choice(SUBJECTS)}在{place}{rng.choice(ACTIONS)}{topic}和{topic2}工作会议。"
        f"会议要求各单位{rng.choice(ACTIONS)}{rng.choice(TOPICS)}，确保取得实效。记者{rng.choice(REPORTERS)}报道。"
    )
    if n % 10 == 0:  # some material is catalogued in traditional script
        title = _t2s_inverse(title)
    return Asset(
        tenant_id=tenant,
        title=title,
        description=description,
        tags=rng.sample(TOPICS, 2),
        media_kind=rng.choice(["video", "video", "video", "audio"]),
        original_filename=f"XX{n:07d}.MXF",
        original_key=f"k{n}",
        size=1,
        sha256=f"{n:064x}",
        xxh3="0" * 16,
        duration=rng.uniform(10, 1800),
        programme=rng.choice(PROGRAMMES),
        reporter=rng.choice(REPORTERS),
        place=place,
        shoot_date=date(2020, 1, 1) + timedelta(days=rng.randrange(1800)),
    )


_S2T: dict[str, Any] = {}


def _t2s_inverse(text_: str) -> str:
    import opencc

    if not _S2T:
        _S2T["c"] = opencc.OpenCC("s2t")
    return str(_S2T["c"].convert(text_))
