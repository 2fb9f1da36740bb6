-- 0004_oneproxy.sql — what the 1proxy feed needs beyond OmniRoute's columns:
-- when real traffic degraded a row to inactive (a later sync revives it only
-- when the feed validated the proxy after that moment), and an index for the
-- sync's upsert key (host, port, source).

ALTER TABLE proxy_registry ADD COLUMN degraded_at TEXT;
CREATE INDEX idx_proxy_registry_feed_key ON proxy_registry(source, host, port);
