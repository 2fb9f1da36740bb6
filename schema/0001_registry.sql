-- 0001_registry.sql — the proxy registry, its scope assignments, the legacy
-- key_value store (read once by the legacy migration), proxy outcome logs,
-- upstream proxy modes, 1proxy state and omniroute's own metadata.
-- Shapes follow OmniRoute v3.8.1 (upstream-reference.md §1); credentials are
-- stored encrypted ("enc:v1:…"), timestamps as ISO-8601 UTC with milliseconds.

CREATE TABLE meta (
	key	TEXT PRIMARY KEY,
	value	TEXT NOT NULL
);

CREATE TABLE proxy_registry (
	id		TEXT PRIMARY KEY,
	name		TEXT NOT NULL,
	type		TEXT NOT NULL DEFAULT 'http' CHECK (type IN ('http', 'https', 'socks5', 'socks4')),
	host		TEXT NOT NULL,
	port		INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
	username	TEXT NOT NULL DEFAULT '',
	password	TEXT NOT NULL DEFAULT '',
	region		TEXT,
	notes		TEXT,
	status		TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
	source		TEXT NOT NULL DEFAULT 'manual',
	quality_score	INTEGER,
	latency_ms	INTEGER,
	anonymity	TEXT,
	google_access	INTEGER NOT NULL DEFAULT 0,
	last_validated	TEXT,
	country_code	TEXT,
	created_at	TEXT NOT NULL,
	updated_at	TEXT NOT NULL
);
CREATE INDEX idx_proxy_registry_status ON proxy_registry(status);
CREATE INDEX idx_proxy_registry_host_port ON proxy_registry(host, port);
CREATE INDEX idx_proxy_registry_source ON proxy_registry(source);
CREATE INDEX idx_proxy_registry_quality ON proxy_registry(quality_score DESC);
CREATE INDEX idx_proxy_registry_country ON proxy_registry(country_code);
CREATE INDEX idx_proxy_registry_updated ON proxy_registry(updated_at DESC, name);

-- proxy_id is a registry id or the word 'direct' (go direct on purpose).
CREATE TABLE proxy_assignments (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
	proxy_id	TEXT NOT NULL,
	scope		TEXT NOT NULL CHECK (scope IN ('global', 'provider', 'account', 'combo')),
	scope_id	TEXT NOT NULL,
	created_at	TEXT NOT NULL,
	updated_at	TEXT NOT NULL,
	UNIQUE (scope, scope_id)
);
CREATE INDEX idx_proxy_assignments_proxy ON proxy_assignments(proxy_id);

CREATE TABLE key_value (
	namespace	TEXT NOT NULL,
	key		TEXT NOT NULL,
	value		TEXT,
	PRIMARY KEY (namespace, key)
);

CREATE TABLE proxy_logs (
	id		TEXT PRIMARY KEY,
	timestamp	TEXT NOT NULL,
	status		TEXT NOT NULL,
	proxy_id	TEXT,
	proxy_type	TEXT,
	proxy_host	TEXT,
	proxy_port	INTEGER,
	level		TEXT,
	level_id	TEXT,
	provider	TEXT,
	target_url	TEXT,
	stage		TEXT,
	latency_ms	INTEGER NOT NULL DEFAULT 0,
	bytes		INTEGER NOT NULL DEFAULT 0,
	error		TEXT,
	connection_id	TEXT,
	combo_id	TEXT
);
CREATE INDEX idx_proxy_logs_timestamp ON proxy_logs(timestamp);
CREATE INDEX idx_proxy_logs_proxy ON proxy_logs(proxy_id, timestamp);

CREATE TABLE upstream_proxy_config (
	id				INTEGER PRIMARY KEY AUTOINCREMENT,
	provider_id			TEXT NOT NULL UNIQUE,
	mode				TEXT NOT NULL DEFAULT 'native' CHECK (mode IN ('native', 'cliproxyapi', 'fallback')),
	cliproxyapi_model_mapping	TEXT,
	native_priority			INTEGER NOT NULL DEFAULT 1,
	cliproxyapi_priority		INTEGER NOT NULL DEFAULT 2,
	enabled				INTEGER NOT NULL DEFAULT 1,
	created_at			TEXT NOT NULL,
	updated_at			TEXT NOT NULL
);

CREATE TABLE oneproxy_state (
	key	TEXT PRIMARY KEY,
	value	TEXT
);
