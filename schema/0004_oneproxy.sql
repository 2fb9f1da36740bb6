-- 0004_oneproxy.sql — what the 1proxy feed needs beyond OmniRoute's columns:
-- when real traffic last failed through a row and when it degraded the row to
-- inactive (a later sync restores a row's score or status only when the feed
-- validated the proxy after its last failure), and an index for the sync's
-- upsert key (source, host, port).

ALTER TABLE proxy_registry ADD COLUMN degraded_at TEXT;
ALTER TABLE proxy_registry ADD COLUMN last_failure_at TEXT;
CREATE INDEX idx_proxy_registry_feed_key ON proxy_registry(source, host, port);
