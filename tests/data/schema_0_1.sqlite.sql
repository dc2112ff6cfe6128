-- The schema a vetpharma 0.1 store created (SQLAlchemy create_all, no migration table), sqlite.

CREATE TABLE dossiers (
	id INTEGER NOT NULL, 
	transport VARCHAR(32) NOT NULL, 
	chat VARCHAR(255) NOT NULL, 
	user VARCHAR(255) NOT NULL, 
	number INTEGER NOT NULL, 
	kind VARCHAR(64) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	answers TEXT NOT NULL, 
	history TEXT NOT NULL, 
	advice_shown TEXT NOT NULL, 
	editing VARCHAR(64), 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	completed_at DATETIME, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_dossier_number UNIQUE (transport, chat, user, number)
);

CREATE INDEX ix_dossiers_transport ON dossiers (transport);

CREATE INDEX ix_dossiers_user ON dossiers (user);

CREATE TABLE handoffs (
	id INTEGER NOT NULL, 
	transport VARCHAR(32) NOT NULL, 
	chat VARCHAR(255) NOT NULL, 
	user VARCHAR(255) NOT NULL, 
	lang VARCHAR(8) NOT NULL, 
	context TEXT NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);

CREATE INDEX ix_handoffs_transport ON handoffs (transport);

CREATE INDEX ix_handoffs_user ON handoffs (user);

CREATE TABLE sessions (
	transport VARCHAR(32) NOT NULL, 
	chat VARCHAR(255) NOT NULL, 
	user VARCHAR(255) NOT NULL, 
	lang VARCHAR(8) NOT NULL, 
	state TEXT NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (transport, chat, user)
);

CREATE INDEX ix_sessions_updated_at ON sessions (updated_at);

CREATE TABLE checks (
	id INTEGER NOT NULL, 
	dossier_id INTEGER NOT NULL, 
	file_names TEXT NOT NULL, 
	report TEXT NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(dossier_id) REFERENCES dossiers (id) ON DELETE CASCADE
);

CREATE INDEX ix_checks_dossier_id ON checks (dossier_id);

CREATE TABLE files (
	id INTEGER NOT NULL, 
	transport VARCHAR(32) NOT NULL, 
	chat VARCHAR(255) NOT NULL, 
	user VARCHAR(255) NOT NULL, 
	dossier_id INTEGER, 
	name VARCHAR(255) NOT NULL, 
	mime VARCHAR(128) NOT NULL, 
	data BLOB NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(dossier_id) REFERENCES dossiers (id) ON DELETE CASCADE
);

CREATE INDEX ix_files_dossier_id ON files (dossier_id);

CREATE INDEX ix_files_transport ON files (transport);

CREATE INDEX ix_files_user ON files (user);

CREATE TABLE analytics_events (
	id INTEGER NOT NULL, 
	kind VARCHAR(32) NOT NULL, 
	created_at DATETIME NOT NULL, 
	transport VARCHAR(32), 
	chat VARCHAR(255), 
	user VARCHAR(255), 
	lang VARCHAR(8) NOT NULL, 
	dossier_kind VARCHAR(64), 
	detail TEXT NOT NULL, 
	PRIMARY KEY (id)
);

CREATE INDEX ix_analytics_events_created_at ON analytics_events (created_at);

CREATE INDEX ix_analytics_events_kind ON analytics_events (kind);

CREATE INDEX ix_analytics_events_user ON analytics_events (user);

CREATE TABLE analytics_questions (
	id INTEGER NOT NULL, 
	ref VARCHAR(32) NOT NULL, 
	created_at DATETIME NOT NULL, 
	transport VARCHAR(32), 
	chat VARCHAR(255), 
	user VARCHAR(255), 
	lang VARCHAR(8) NOT NULL, 
	text TEXT NOT NULL, 
	answered BOOLEAN NOT NULL, 
	confidence FLOAT NOT NULL, 
	citations TEXT NOT NULL, 
	feedback VARCHAR(8), 
	feedback_at DATETIME, 
	PRIMARY KEY (id), 
	UNIQUE (ref)
);

CREATE INDEX ix_analytics_questions_created_at ON analytics_questions (created_at);

CREATE INDEX ix_analytics_questions_user ON analytics_questions (user);
