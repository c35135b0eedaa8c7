"""The one argument object every ``opledger.*`` command takes, validated once here."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ledger_core.decisions import ReworkReason
from ledger_core.errors import InvalidInput

from .options import _plain


class Position(BaseModel):
    line: int = Field(ge=0)
    character: int = Field(ge=0)


class CommandArgs(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    uri: str | None = None
    region: str | None = None
    position: Position | None = None
    reason: ReworkReason = ReworkReason.OTHER
    workflow: str | None = None


def command_args(command: str, raw: tuple[Any, ...], *, need: str) -> CommandArgs:
    """``need``: ``region`` (uri+region or uri+position), ``uri`` or ``ledger`` (uri or workflow)."""
    if len(raw) != 1:
        raise InvalidInput(f"{command} takes one argument object, got {len(raw)} arguments")
    value = _plain(raw[0])
    if not isinstance(value, dict):
        raise InvalidInput(f"{command}: the argument must be an object, got {type(value).__name__}")
    try:
        args = CommandArgs.model_validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"]))
        choices = ", ".join(r.value for r in ReworkReason) if where == "reason" else ""
        raise InvalidInput(f"{command}: {where}: {first['msg']}" + (f" (one of {choices})" if choices else "")) from exc
    if need == "region" and not (args.region or (args.uri and args.position)):
        raise InvalidInput(f"{command} needs {{'uri', 'region'}} or {{'uri', 'position'}}")
    if need == "uri" and not args.uri:
        raise InvalidInput(f"{command} needs {{'uri'}}")
    if need == "ledger" and not (args.uri or args.workflow):
        raise InvalidInput(f"{command} needs {{'uri'}} or {{'workflow'}}")
    return args
