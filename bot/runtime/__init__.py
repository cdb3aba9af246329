"""What both platforms share at run time: the inbox and its workers, delivery claims, the outbox retry and the
daily purge. Platform-neutral: nothing here imports a chat library or a database driver."""
