"""A generator of Claude Code transcript corpora with every quirk the importer must handle.

Deterministic for a seed. Each session file mixes filler lines (hook/bash progress), user
prompts, tool results, and assistant responses, reproducing what real transcripts show:

* responses split over several lines (one content block each; earlier lines carry a partial
  ``output_tokens``), sometimes across midnight;
* resumed sessions that start by repeating the previous session's responses;
* subagents (``subagents/agent-*.jsonl`` with ``isSidechain``), replayed in the parent as
  ``agent_progress`` lines (inner timestamp a few ms off) and summed in a Task
  ``toolUseResult`` with ``usage``; 1h cache writes;
* API-error retries (``system``/``api_error``), rejected tool uses, failed tool calls, edits the
  user modified, an unknown model, and a truncated last line.

With ``ccusage_bugs=True`` it also writes what ccusage 20.0.24 gets wrong: responses without
``requestId``, timestamps with microseconds, and requests over 200k input tokens.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

MODELS = ("claude-opus-4-6", "claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001")
UNKNOWN_MODEL = "claude-mystery-9"


def _dump(line: dict[str, Any]) -> bytes:
    return orjson.dumps(line) + b"\n"  # compact, like Claude Code (ccusage needs that)


def _ts(moment: datetime, micro: bool = False) -> str:
    if micro:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class _Session:
    def __init__(self, rng: random.Random, sid: str, start: datetime, cwd: str, branch: str, bugs: bool, filler: int) -> None:
        self.rng, self.sid, self.now, self.cwd, self.branch, self.bugs, self.filler = rng, sid, start, cwd, branch, bugs, filler
        self.lines: list[bytes] = []
        self.responses: list[list[bytes]] = []
        self.subagents: dict[str, list[bytes]] = {}
        self.parent = None

    def base(self, kind: str, **extra: Any) -> dict[str, Any]:
        self.now += timedelta(milliseconds=self.rng.randint(200, 9000))
        self.parent = str(uuid.UUID(int=self.rng.getrandbits(128)))
        return {"parentUuid": None, "isSidechain": False, "userType": "external", "cwd": self.cwd, "sessionId": self.sid,
                "version": "2.1.39", "gitBranch": self.branch, "type": kind, "uuid": self.parent, "timestamp": _ts(self.now), **extra}

    def filler_line(self) -> None:
        kind = self.rng.choice(("hook_progress", "bash_progress"))
        text = "x" * self.rng.randint(self.filler // 2, self.filler * 3 // 2)
        self.lines.append(_dump(self.base("progress", data={"type": kind, "output": text, "hookEvent": "PostToolUse"})))

    def usage(self, big: bool = False, hour: bool = False) -> dict[str, int | dict[str, int]]:
        rng = self.rng
        read = rng.randint(210_000, 260_000) if big else rng.randint(0, 150_000)
        write = rng.randint(0, 20_000)
        w1h = write if hour else 0
        return {"input_tokens": rng.randint(1, 50), "cache_creation_input_tokens": write, "cache_read_input_tokens": read,
                "cache_creation": {"ephemeral_5m_input_tokens": write - w1h, "ephemeral_1h_input_tokens": w1h},
                "output_tokens": rng.randint(1, 3000)}

    def response(self, *, model: str | None = None, sidechain: bool = False, agent: str | None = None, tool: str | None = None) -> tuple[list[dict[str, Any]], str]:
        rng = self.rng
        model = model or rng.choice(MODELS)
        mid = f"msg_{rng.getrandbits(64):016x}"
        rid = f"req_{rng.getrandbits(64):016x}"
        usage = self.usage(big=self.bugs and rng.random() < 0.05, hour=sidechain)
        chunks = rng.randint(1, 4)
        no_request = self.bugs and rng.random() < 0.05
        micro = self.bugs and rng.random() < 0.05
        lines = []
        tool_id = None
        for index in range(chunks):
            last = index == chunks - 1
            block: dict[str, Any] = {"type": "text", "text": "ok"}
            if last and tool:
                tool_id = f"toolu_{rng.getrandbits(64):016x}"
                block = {"type": "tool_use", "id": tool_id, "name": tool, "input": {"file_path": f"{self.cwd}/src/m{rng.randint(1, 40)}.py"}}
            chunk_usage = dict(usage, output_tokens=usage["output_tokens"] if last else rng.randint(1, 10))
            line = self.base("assistant", message={"model": model, "id": mid, "type": "message", "role": "assistant",
                                                   "content": [block], "usage": chunk_usage})
            line["isSidechain"] = sidechain
            if agent:
                line["agentId"] = agent
            if not no_request:
                line["requestId"] = rid
            if micro:
                line["timestamp"] = _ts(self.now, micro=True)
            lines.append(line)
        return lines, tool_id or ""

    def emit_response(self, **kw: Any) -> str:
        lines, tool_id = self.response(**kw)
        encoded = [_dump(line) for line in lines]
        self.lines.extend(encoded)
        self.responses.append(encoded)
        return tool_id

    def user_result(self, tool_id: str, *, rejected: bool = False, error: bool = False, modified: bool = False) -> None:
        if rejected:
            block = {"type": "tool_result", "content": "The user doesn't want to proceed with this tool use.", "is_error": True, "tool_use_id": tool_id}
            line = self.base("user", message={"role": "user", "content": [block]}, toolUseResult="User rejected tool use")
        elif error:
            block = {"type": "tool_result", "content": "Exit code 1", "is_error": True, "tool_use_id": tool_id}
            line = self.base("user", message={"role": "user", "content": [block]}, toolUseResult="Error: Exit code 1")
        else:
            block = {"type": "tool_result", "content": "done", "tool_use_id": tool_id}
            result = {"filePath": f"{self.cwd}/src/a.py", "oldString": "a", "newString": "b", "structuredPatch": [], "userModified": modified}
            line = self.base("user", message={"role": "user", "content": [block]}, toolUseResult=result)
        self.lines.append(_dump(line))

    def subagent(self) -> None:
        rng = self.rng
        agent = f"a{rng.getrandbits(28):07x}"
        task_id = self.emit_response(tool="Task")
        sub: list[bytes] = []
        total = 0
        for _ in range(rng.randint(2, 5)):
            lines, _ = self.response(model="claude-haiku-4-5-20251001", sidechain=True, agent=agent)
            for line in lines:
                sub.append(_dump(line))
            final = lines[-1]
            u = final["message"]["usage"]
            total += u["input_tokens"] + u["output_tokens"] + u["cache_read_input_tokens"] + u["cache_creation_input_tokens"]
            inner = dict(final)
            inner.pop("isSidechain")
            inner["timestamp"] = _ts(datetime.fromisoformat(final["timestamp"]) + timedelta(milliseconds=rng.randint(1, 5)))
            progress = self.base("progress", data={"type": "agent_progress", "agentId": agent, "prompt": "explore",
                                                   "message": {k: inner[k] for k in ("type", "timestamp", "message", "uuid") if k in inner}
                                                   | ({"requestId": final["requestId"]} if "requestId" in final else {})})
            self.lines.append(_dump(progress))
        self.subagents[agent] = sub
        block = {"type": "tool_result", "content": "summary", "tool_use_id": task_id}
        result = {"status": "completed", "agentId": agent, "totalTokens": total, "usage": {"input_tokens": 1, "output_tokens": total}}
        self.lines.append(_dump(self.base("user", message={"role": "user", "content": [block]}, toolUseResult=result)))


def generate(root: Path, *, sessions: int = 50, lines: int = 2000, seed: int = 7, ccusage_bugs: bool = False,
             filler_bytes: int = 2200, start: datetime | None = None) -> Path:
    """Write a corpus under ``root/projects/``; returns ``root`` (use it as CLAUDE_CONFIG_DIR)."""
    rng = random.Random(seed)
    moment = start or datetime(2026, 3, 2, 21, 30, tzinfo=UTC)
    previous: _Session | None = None
    for number in range(sessions):
        project = f"-home-dev-proj{number % 3}"
        folder = root / "projects" / project
        folder.mkdir(parents=True, exist_ok=True)
        sid = str(uuid.UUID(int=rng.getrandbits(128)))
        branch = f"feat-{number % 7}"
        session = _Session(rng, sid, moment, f"/home/dev/proj{number % 3}", branch, ccusage_bugs, filler_bytes)
        if previous is not None and rng.random() < 0.3:  # resumed: the old responses come first
            for response in previous.responses[-rng.randint(1, 5):]:
                session.lines.extend(response)
        while len(session.lines) < lines:
            roll = rng.random()
            if roll < 0.55:
                session.filler_line()
            elif roll < 0.62:
                session.lines.append(_dump(session.base("user", message={"role": "user", "content": "please continue"})))
            elif roll < 0.90:
                tool = rng.choice((None, "Edit", "Bash"))
                model = UNKNOWN_MODEL if rng.random() < 0.01 else None
                tool_id = session.emit_response(tool=tool, model=model)
                if tool_id:
                    pick = rng.random()
                    session.user_result(tool_id, rejected=pick < 0.08, error=0.08 <= pick < 0.15, modified=0.15 <= pick < 0.2)
            elif roll < 0.93:
                session.subagent()
            elif roll < 0.95:
                line = session.base("system", subtype="api_error", level="error", retryAttempt=rng.randint(1, 3), maxRetries=10,
                                    error={"status": 529})
                session.lines.append(_dump(line))
            else:
                session.lines.append(_dump(session.base("user", message={"role": "user", "content": [{"type": "text", "text": "[Request interrupted by user]"}]})))
        payload = b"".join(session.lines)
        if number == sessions - 1:
            payload += b'{"type":"assistant","message":{"id":"msg_trunc","usage":{"input_tok'  # truncated last line
        (folder / f"{sid}.jsonl").write_bytes(payload)
        for agent, sub in session.subagents.items():
            target = folder / sid / "subagents" / f"agent-{agent}.jsonl"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(b"".join(sub))
        previous = session
        moment = session.now + timedelta(minutes=rng.randint(5, 600))
    return root
