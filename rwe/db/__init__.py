"""Database access: connection, embedded server, migrations, status."""
