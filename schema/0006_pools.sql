-- 0006_pools.sql — pools: a scope's assignment holds one or more proxies
-- (API.md "Pools"). proxy_pools has one row per assigned scope (its strategy,
-- sticky window, an optional live 1proxy member set and the round-robin
-- cursor the master persists); proxy_pool_members the ordered static members.
-- proxy_assignments stays the pool's head, so everything that reads it keeps
-- its meaning: its proxy_id is the first member by position, 'direct', or
-- 'live:oneproxy' for a pool made only of a live set. Every existing
-- assignment becomes a pool of one.

CREATE TABLE proxy_pools (
	scope			TEXT NOT NULL CHECK (scope IN ('global', 'provider', 'account', 'combo')),
	scope_id		TEXT NOT NULL,
	strategy		TEXT NOT NULL DEFAULT 'round-robin'
				CHECK (strategy IN ('round-robin', 'random', 'sticky', 'latency', 'quality')),
	sticky_window_minutes	INTEGER NOT NULL DEFAULT 30
				CHECK (sticky_window_minutes BETWEEN 1 AND 1440),
	source			TEXT CHECK (source IS NULL OR source = 'oneproxy'),
	filter			TEXT,	-- JSON {"protocol","countryCode","minQuality"} of the live set
	cursor			INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (scope, scope_id)
);

CREATE TABLE proxy_pool_members (
	scope		TEXT NOT NULL,
	scope_id	TEXT NOT NULL,
	proxy_id	TEXT NOT NULL,
	position	INTEGER NOT NULL,
	PRIMARY KEY (scope, scope_id, proxy_id)
);
CREATE INDEX idx_proxy_pool_members_proxy ON proxy_pool_members(proxy_id);
CREATE INDEX idx_proxy_pool_members_order ON proxy_pool_members(scope, scope_id, position);

INSERT INTO proxy_pools (scope, scope_id) SELECT scope, scope_id FROM proxy_assignments;
INSERT INTO proxy_pool_members (scope, scope_id, proxy_id, position)
	SELECT scope, scope_id, proxy_id, 0 FROM proxy_assignments WHERE proxy_id <> 'direct';

-- What each pool's head (proxy_assignments.proxy_id) must be: its first
-- static member, else 'live:oneproxy' for a live set, else NULL (the pool is
-- empty and its assignment goes). A 'direct' assignment has no members.
CREATE VIEW pool_heads AS
	SELECT p.scope, p.scope_id, COALESCE(
		(SELECT m.proxy_id FROM proxy_pool_members m
		 WHERE m.scope = p.scope AND m.scope_id = p.scope_id
		 ORDER BY m.position LIMIT 1),
		CASE WHEN p.source = 'oneproxy' THEN 'live:oneproxy' END) AS head
	FROM proxy_pools p;
