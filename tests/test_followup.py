"""Follow-up resolution (answer/followup.py) on the analysed question records, exact texts."""

from __future__ import annotations

import pytest

from reportqa.answer.followup import FollowUpResolver
from reportqa.service import Components
from reportqa.settings import Settings

FIRST = "2022年中国可数字化交付服务出口额是多少？"


@pytest.fixture(scope="module")
def resolver(hash_index: tuple[Settings, Components]) -> FollowUpResolver:
    return hash_index[1].answerer.followups


@pytest.mark.parametrize(("turn", "resolved"), [
    ("那进口呢？", "2022年中国可数字化交付服务进口额是多少?"),          # the side replaced
    ("2021年呢", "2021年中国可数字化交付服务出口额是多少?"),            # the year replaced
    ("北京呢？", "2022年北京可数字化交付服务出口额是多少?"),            # the name replaced
    ("那广东的呢 多少", "2022年广东可数字化交付服务出口额是多少?"),
    ("它的增速是多少", "2022年中国可数字化交付服务出口额增速是多少？"),  # a new measure of the subject
    ("占比多少", "2022年中国可数字化交付服务出口额占比多少？"),
    ("那进出口总额呢", "2022年中国可数字化交付服务进出口额是多少?"),   # 总额 goes with the side
    ("四川省2022年可数字化交付服务出口额是多少？", "四川省2022年可数字化交付服务出口额是多少？"),  # whole: as asked
    ("什么是数字贸易？", "什么是数字贸易？"),
    ("个保法什么时候", "个保法什么时候"),  # the report's short form of 个人信息保护法: a subject
])
def test_a_turn_is_resolved_by_the_parts_it_states(resolver: FollowUpResolver, turn: str, resolved: str) -> None:
    resolution = resolver.resolve([FIRST, turn])
    assert (resolution.asked, resolution.resolved) == (turn, resolved)
    assert resolution.changed == (turn != resolved)


def test_a_chain_of_follow_ups_keeps_its_subject(resolver: FollowUpResolver) -> None:
    turns = ["四川省2022年可数字化交付服务出口额是多少？", "那进口呢", "2021年呢", "北京呢"]
    assert resolver.resolve(turns).resolved == "北京2021年可数字化交付服务进口额是多少?"
    assert resolver.resolve(turns[:1]).resolved == turns[0]
    with pytest.raises(ValueError, match="no question"):
        resolver.resolve([])
