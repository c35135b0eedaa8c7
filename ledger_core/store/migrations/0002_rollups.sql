-- Version 2: daily rollups of entries (see ledger_core/rollup.py), kept up to date by every
-- append in the same transaction, so a team report reads one row per day and rollup key
-- instead of every entry. `session` is '' for none so it can be part of the primary key.
-- The entry's model is not part of the key: no report metric reads it.

CREATE TABLE entry_rollups (
    day          date    NOT NULL,
    workflow     text    NOT NULL,
    line         text    NOT NULL,
    kind         text    NOT NULL,
    session      text    NOT NULL,
    unpriced     boolean NOT NULL,
    reversal     boolean NOT NULL,
    cost_usd     numeric NOT NULL,
    minutes      numeric NOT NULL,
    count        bigint  NOT NULL,
    occurrences  bigint  NOT NULL,
    weight       bigint  NOT NULL,
    tok_input    bigint  NOT NULL,
    tok_output   bigint  NOT NULL,
    tok_cw5m     bigint  NOT NULL,
    tok_cw1h     bigint  NOT NULL,
    tok_read     bigint  NOT NULL,
    PRIMARY KEY (day, workflow, line, kind, session, unpriced, reversal)
);
CREATE INDEX entry_rollups_workflow ON entry_rollups (workflow);

INSERT INTO entry_rollups
SELECT (ts AT TIME ZONE 'UTC')::date, workflow, line, kind, coalesce(session, ''), unpriced, reversal,
       sum(cost_usd), sum(minutes), sum(count),
       sum(CASE WHEN count <> 0 THEN count WHEN reversal THEN -1 ELSE 1 END),
       sum(CASE WHEN reversal THEN -1 ELSE 1 END),
       sum(tok_input), sum(tok_output), sum(tok_cw5m), sum(tok_cw1h), sum(tok_read)
FROM entries
GROUP BY 1, 2, 3, 4, 5, 6, 7;
