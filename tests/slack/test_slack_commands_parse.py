"""The ``/ledger`` words parser: any text gives a command or a clear InvalidInput, never a crash."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger_core.errors import InvalidInput
from slack_bot.commands import VERBS, parse

KEY = st.from_regex(r"[A-Za-z][A-Za-z0-9_.-]{0,20}", fullmatch=True)


@given(st.text(max_size=200))
def test_any_text_parses_or_fails_cleanly(text: str) -> None:
    try:
        command = parse(text)
    except InvalidInput as exc:
        assert str(exc)
    else:
        assert command.verb in VERBS


@given(KEY, st.sampled_from(["", " share", " here"]), st.sampled_from(["", "<@U123ABC> ", "  "]))
def test_show_keeps_the_key_and_the_share_flag(key: str, share: str, mention: str) -> None:
    command = parse(f"{mention}show {key}{share}")
    assert (command.verb, command.workflow, command.share) == ("show", key, bool(share))


def test_slack_link_markup_is_unwrapped_for_incidents() -> None:
    command = parse("incident WF-9 <https://status.example.com/i/1|status page>")
    assert command.link == "https://status.example.com/i/1"
    with pytest.raises(InvalidInput, match="one http"):
        parse("incident WF-9 not-a-link")
