-- 0007_connect_latency.sql — how long a call's new egress took to set up
-- (DNS, TCP, proxy handshake and auth, TLS), for the pools' latency strategy
-- (API.md "Pools"). A folded row stands for `calls` attempts of which
-- `connects` set up a new egress (a reused pooled tunnel sets up nothing);
-- connect_us is their mean in microseconds, NULL when there were none. The
-- master reads the last 3 h of it at start into the shared latency board.

ALTER TABLE proxy_logs ADD COLUMN connect_us INTEGER CHECK (connect_us IS NULL OR connect_us >= 0);
ALTER TABLE proxy_logs ADD COLUMN connects INTEGER NOT NULL DEFAULT 0 CHECK (connects >= 0);
