-- 0005_egress_ip.sql — the egress IP of a proxy: the address an echo service
-- (egress_check_url) saw when called through it, and when that check
-- succeeded. Both stay NULL until a check succeeds; a failed check leaves
-- them as they were.

ALTER TABLE proxy_registry ADD COLUMN egress_ip TEXT;
ALTER TABLE proxy_registry ADD COLUMN egress_checked_at TEXT;
