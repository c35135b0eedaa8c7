"""A separate process using a store: ``append`` or ``claim``, for the contract's concurrency tests.

usage: store_worker.py LOCATION OPTIONS_JSON append PREFIX COUNT BATCH [PAUSE_SECONDS]
       store_worker.py LOCATION OPTIONS_JSON claim KEY
"""

from __future__ import annotations

import json
import sys
import time
from decimal import Decimal

from ledger_core.models import EntryDraft, Line
from ledger_core.store import open_store


def main() -> None:
    location, options, action, *rest = sys.argv[1:]
    store = open_store(location, **json.loads(options))
    if action == "append":
        prefix, count, batch = rest[0], int(rest[1]), int(rest[2])
        pause = float(rest[3]) if len(rest) > 3 else 0.0
        for start in range(0, count, batch):
            drafts = [
                EntryDraft(workflow="WF-C", line=Line.INFERENCE, cost_usd=Decimal("0.01"), source="worker",
                           source_ref=f"{prefix}-{i}" if prefix != "-" else None)
                for i in range(start, min(start + batch, count))
            ]
            store.append(drafts)
            time.sleep(pause)
        print(count)
    elif action == "claim":
        print("won" if store.kv_claim("claims", rest[0], {"by": options}) else "lost")
    store.close()


if __name__ == "__main__":
    main()
