"""Signed exports: the whole ledger in one file a third party can check without opledger's store.

Format (JSON Lines, UTF-8):

1. the payload, one compact JSON object: ``format``, ``version``, ``created_at``, ``chain``
   (entries and head hash at export time), ``entries`` (as stored, with their chain fields),
   ``workflows``, ``regions``, ``incidents``;
2. optionally, the signature: ``{"alg": "ed25519", "key_id", "public_key", "signature"}`` where
   ``signature`` is Ed25519 (via ``cryptography``) over the exact bytes of line 1, base64.

Checking an export (``verify_export``) means: the signature is valid for the given public key,
the entries form an intact chain from genesis (``integrity.verify_chain``), and that chain ends
at the head the payload declares, so nothing was cut off the end. The signature covers
everything; the chain additionally shows *which* entry was touched if the payload was edited
and re-signed with another key.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict

from .errors import InvalidInput, LedgerError
from .integrity import verify_chain
from .models import utcnow
from .store import Store
from .store.base import ChainProblem

FORMAT = "opledger-export"
VERSION = 1


def _crypto() -> Any:
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError as exc:  # the `governance` extra
        raise LedgerError("signing needs the `cryptography` package: pip install 'ai-operating-ledger[governance]'") from exc
    return serialization, ed25519


def key_id(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()[:16]


def generate_key(path: Path, *, force: bool = False) -> tuple[Path, str]:
    """Write a new Ed25519 private key to ``path`` (mode 0600) and its public key to ``path.pub``."""
    serialization, ed25519 = _crypto()
    public_path = path.with_name(path.name + ".pub")
    for target in (path, public_path):
        if target.exists() and not force:
            raise InvalidInput(f"{target} exists; refusing to overwrite a key (use --force)")
    key = ed25519.Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    public = key.public_key()
    public_pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(private_pem)
        public_path.write_bytes(public_pem)
    except OSError as exc:
        raise InvalidInput(f"cannot write key {path}: {exc.strerror or exc}") from exc
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return public_path, key_id(raw)


def _load_key(path: Path, *, private: bool) -> Any:
    serialization, ed25519 = _crypto()
    what = "private" if private else "public"
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {what} key {path}: {exc.strerror or exc}") from exc
    try:
        key = serialization.load_pem_private_key(data, password=None) if private else serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"{path} is not an unencrypted PEM {what} key ({exc})") from exc
    wanted = ed25519.Ed25519PrivateKey if private else ed25519.Ed25519PublicKey
    if not isinstance(key, wanted):
        raise InvalidInput(f"{path} is not an Ed25519 {what} key (see `opledger keygen`)")
    return key


def build_payload(store: Store) -> bytes:
    """Line 1 of an export. Refuses a broken chain: a signature must not vouch for tampered data."""
    entries = [e.model_dump(mode="json") for e in store.entries()]
    report = verify_chain([("export", entries)], location=store.location)
    if not report.ok:
        first = report.problems[0]
        raise LedgerError(f"the chain is broken ({first.kind} at seq {first.seq}: {first.detail}); run `opledger verify`; nothing exported")
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": utcnow().isoformat().replace("+00:00", "Z"),
        "chain": {"entries": report.entries, "head": report.head},
        "entries": entries,
        "workflows": [w.model_dump(mode="json") for w in store.workflows()],
        "regions": [r.model_dump(mode="json") for r in store.regions()],
        "incidents": [i.model_dump(mode="json") for i in store.incidents()],
    }
    return orjson.dumps(payload)


def write_export(store: Store, output: Path, *, key_path: Path | None = None) -> dict[str, Any]:
    """Write the export (signed when ``key_path`` is given); returns its summary."""
    key = _load_key(key_path, private=True) if key_path else None
    payload = build_payload(store)
    lines = [payload]
    summary: dict[str, Any] = {"file": str(output), "signed": key is not None, **orjson.loads(payload)["chain"]}
    if key is not None:
        serialization, _ = _crypto()
        raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        signature = {
            "alg": "ed25519",
            "key_id": key_id(raw),
            "public_key": base64.b64encode(raw).decode(),
            "signature": base64.b64encode(key.sign(payload)).decode(),
        }
        lines.append(orjson.dumps(signature))
        summary["key_id"] = signature["key_id"]
    try:
        output.write_bytes(b"\n".join(lines) + b"\n")
    except OSError as exc:
        raise InvalidInput(f"cannot write {output}: {exc.strerror or exc}") from exc
    return summary


class ExportCheck(BaseModel):
    """The result of checking an export file."""

    model_config = ConfigDict(frozen=True)

    file: str
    entries: int
    head: str
    signed: bool
    signature_valid: bool | None  # None: not checked (no public key given)
    key_id: str | None
    problems: tuple[ChainProblem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems and self.signature_valid is not False


def verify_export(path: Path, pubkey: Path | None = None) -> ExportCheck:
    """Check signature, chain and declared head of an export file (see the module doc)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read export {path}: {exc.strerror or exc}") from exc
    parts = raw.rstrip(b"\n").split(b"\n")
    if len(parts) > 2 or not parts[0]:
        raise InvalidInput(f"{path} is not an opledger export (expected 1 or 2 lines, found {len(parts)})")
    try:
        payload = orjson.loads(parts[0])
        signature = orjson.loads(parts[1]) if len(parts) == 2 else None
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"{path} is not an opledger export: {exc}") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT or not isinstance(payload.get("entries"), list):
        raise InvalidInput(f"{path} is not an opledger export (no {FORMAT} payload)")
    if payload.get("version") != VERSION:
        raise InvalidInput(f"{path} is export version {payload.get('version')!r}; this opledger reads version {VERSION}")
    valid: bool | None = None
    found_id = signature.get("key_id") if isinstance(signature, dict) else None
    problems: list[ChainProblem] = []
    if pubkey is not None:
        key = _load_key(pubkey, private=False)
        serialization, _ = _crypto()
        expected_id = key_id(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
        if not isinstance(signature, dict) or not isinstance(signature.get("signature"), str):
            valid = False
            problems.append(ChainProblem(seq=None, entry_id=None, kind="signature", where=str(path), detail="the export is not signed"))
        else:
            from cryptography.exceptions import InvalidSignature

            try:
                key.verify(base64.b64decode(signature["signature"], validate=True), parts[0])
                valid = True
            except (InvalidSignature, ValueError):
                valid = False
                detail = ("signed by another key" if found_id != expected_id else "the payload was changed after it was signed")
                problems.append(ChainProblem(seq=None, entry_id=None, kind="signature", where=str(path),
                                             detail=f"signature does not verify with key {expected_id}: {detail}"))
    report = verify_chain([(str(path), payload["entries"])], location=str(path))
    problems.extend(report.problems)
    declared = payload.get("chain") or {}
    if report.ok and (declared.get("entries") != report.entries or declared.get("head") != report.head):
        problems.append(ChainProblem(
            seq=report.entries, entry_id=None, kind="deletion", where=str(path),
            detail=f"the export declares {declared.get('entries')} entries ending in {str(declared.get('head'))[:12]}…, "
                   f"but its chain has {report.entries} ending in {report.head[:12]}…",
        ))
    return ExportCheck(file=str(path), entries=report.entries, head=report.head, signed=signature is not None,
                       signature_valid=valid, key_id=found_id, problems=tuple(problems))
