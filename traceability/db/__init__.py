"""Storage plumbing: connection pool, embedded server, migrations."""
