"""The words of ``/ledger ...`` and ``@opledger ...``, parsed into one typed command (pure)."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from ledger_core.errors import InvalidInput
from ledger_core.metrics import week_period

VERBS = ("show", "prep", "incident", "audit", "report", "help")
USAGE = {
    "show": "show WF [share]",
    "prep": "prep WF",
    "incident": "incident WF [URL]",
    "audit": "audit WF",
    "report": "report [YYYY-Www] [team]",
    "help": "help",
}
SHARE_WORDS = {"share", "public", "here", "channel"}
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_SLACK_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|[^>]*)?>")
_WEEK = re.compile(r"\d{4}-W\d{1,2}", re.IGNORECASE)


class Command(BaseModel):
    model_config = ConfigDict(frozen=True)

    verb: str
    workflow: str | None = None
    link: str | None = None
    week: str | None = None
    team: str | None = None
    share: bool = False


def clean(text: str) -> str:
    """Slack's markup of a command's text → plain words: mentions dropped, links unwrapped."""
    return _SLACK_LINK.sub(r"\1", _MENTION.sub(" ", text or "")).strip()


def parse(text: str) -> Command:
    words = clean(text).split()
    if not words:
        return Command(verb="help")
    verb, args = words[0].lower(), words[1:]
    if verb not in VERBS:
        raise InvalidInput(f"unknown command {words[0]!r}; try `/ledger help`")
    usage = f"usage: `/ledger {USAGE[verb]}`"
    if verb == "help":
        return Command(verb=verb)
    if verb == "report":
        week = next((a for a in args if _WEEK.fullmatch(a)), None)
        rest = [a for a in args if a is not week]
        if len(rest) > 1:
            raise InvalidInput(f"too many words after report; {usage}")
        if week:
            week_period(week.upper())  # a bad week is reported now, not after the ack
        return Command(verb=verb, week=week.upper() if week else None, team=rest[0] if rest else None)
    if not args:
        raise InvalidInput(f"{verb} needs a workflow key; {usage}")
    workflow, rest = args[0], args[1:]
    if verb == "show":
        if any(a.lower() not in SHARE_WORDS for a in rest):
            raise InvalidInput(f"unexpected {' '.join(rest)!r}; {usage}")
        return Command(verb=verb, workflow=workflow, share=bool(rest))
    if verb == "incident":
        if len(rest) > 1 or (rest and not rest[0].startswith(("http://", "https://"))):
            raise InvalidInput(f"the incident link must be one http(s) URL; {usage}")
        return Command(verb=verb, workflow=workflow, link=rest[0] if rest else None)
    if rest:
        raise InvalidInput(f"unexpected {' '.join(rest)!r}; {usage}")
    return Command(verb=verb, workflow=workflow)
