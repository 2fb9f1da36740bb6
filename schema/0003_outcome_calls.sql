-- 0003_outcome_calls.sql — a proxy_logs row may stand for several identical
-- attempts: workers fold outcomes that agree on every field (status, proxy,
-- level, scope, provider, model, connection, combo, stage, error) within one
-- batch into one row. `calls` is how many; latency_ms is then their mean and
-- bytes their sum. Rows written before this migration are one call each.

ALTER TABLE proxy_logs ADD COLUMN calls INTEGER NOT NULL DEFAULT 1 CHECK (calls >= 1);
