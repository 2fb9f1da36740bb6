-- 0002_providers.sql — what the relay routes to: custom providers and
-- overrides of the built-in catalog, connections (provider accounts; API keys
-- encrypted), combos (named lists of provider/model targets tried in order)
-- and the client API keys of /v1/* (stored as SHA-256 hashes).

CREATE TABLE providers (
	id		TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
	name		TEXT NOT NULL,
	base_url	TEXT NOT NULL,
	auth_style	TEXT NOT NULL CHECK (auth_style IN ('bearer', 'x-api-key', 'none')),
	headers		TEXT NOT NULL DEFAULT '{}',	-- JSON object of extra headers
	created_at	TEXT NOT NULL,
	updated_at	TEXT NOT NULL
);

CREATE TABLE connections (
	id		TEXT PRIMARY KEY,
	provider_id	TEXT NOT NULL,
	name		TEXT NOT NULL,
	api_key		TEXT NOT NULL DEFAULT '',
	priority	INTEGER NOT NULL DEFAULT 0,
	status		TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
	created_at	TEXT NOT NULL,
	updated_at	TEXT NOT NULL,
	UNIQUE (provider_id, name)
);
CREATE INDEX idx_connections_provider ON connections(provider_id, priority);

CREATE TABLE combos (
	id		TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
	targets		TEXT NOT NULL,			-- JSON array of "provider/model"
	created_at	TEXT NOT NULL,
	updated_at	TEXT NOT NULL
);

CREATE TABLE api_keys (
	id		TEXT PRIMARY KEY,
	name		TEXT NOT NULL,
	key_hash	TEXT NOT NULL UNIQUE,
	prefix		TEXT NOT NULL,
	created_at	TEXT NOT NULL
);
