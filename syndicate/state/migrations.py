"""The schema, as a list of migrations: database version N has run the first N.

Both backends run the same numbered list. Each migration is written once, in SQLite's SQL,
and runs as it is on PostgreSQL too, unless :data:`POSTGRES` holds a twin for its number:
the PostgreSQL text of a migration whose SQLite text does not work there (``COLLATE NOCASE``,
``AUTOINCREMENT``, ``BLOB``, rebuilding a table to change it). Adding migration N: append its
SQLite text to :data:`MIGRATIONS`; if ``tests/test_migration.py`` fails for PostgreSQL, add
``POSTGRES[N]`` beside it, leaving the same tables, columns and meaning behind.
"""

from __future__ import annotations

MIGRATIONS = [
    # 1: articles seen (keyed by path) and small build facts.
    """
    CREATE TABLE article (
        path TEXT PRIMARY KEY,
        id TEXT NOT NULL,
        digest TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL
    );
    CREATE INDEX article_id ON article(id);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE output (path TEXT PRIMARY KEY, size INTEGER NOT NULL);
    """,
    # 2: newsletter issues, as rendered (so the archive and later sends never depend on
    # today's content), and which article each covered. An article id is the primary
    # key of issue_article: no article can be in two issues, whatever happens.
    """
    CREATE TABLE issue (
        number INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        date TEXT NOT NULL,
        subject TEXT NOT NULL,
        preheader TEXT NOT NULL,
        nonce TEXT NOT NULL,
        html TEXT NOT NULL,
        text TEXT NOT NULL,
        web_html TEXT NOT NULL
    );
    CREATE TABLE issue_article (
        article_id TEXT PRIMARY KEY,
        issue_number INTEGER REFERENCES issue(number),
        position INTEGER NOT NULL,
        covered_at TEXT NOT NULL
    );
    CREATE INDEX issue_article_issue ON issue_article(issue_number, position);
    """,
    # 3: subscribers, and the delivery ledger: one row per (issue, subscriber), so that a
    # send resumes where it stopped and never sends one issue twice to one person.
    """
    CREATE TABLE subscriber (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'unsubscribed', 'bounced')),
        created_at TEXT NOT NULL,
        confirmed_at TEXT,
        unsubscribed_at TEXT,
        source TEXT NOT NULL DEFAULT '',
        secret TEXT NOT NULL UNIQUE,
        bounces INTEGER NOT NULL DEFAULT 0
    );
    CREATE UNIQUE INDEX subscriber_email ON subscriber(email COLLATE NOCASE);
    CREATE INDEX subscriber_status ON subscriber(status, id);
    CREATE TABLE delivery (
        issue_number INTEGER NOT NULL REFERENCES issue(number),
        subscriber_id INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'deferred', 'failed', 'skipped')),
        attempts INTEGER NOT NULL DEFAULT 0,
        queued_at TEXT NOT NULL,
        next_attempt_at TEXT,
        sent_at TEXT,
        message_id TEXT NOT NULL DEFAULT '',
        reply TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (issue_number, subscriber_id)
    );
    CREATE INDEX delivery_todo ON delivery(issue_number, status, subscriber_id);
    """,
    # 4: issues the scheduler made, which it also sends (recorded with the issue, in one
    # transaction, so that a crash between making and sending loses nothing).
    # send_started_at: when its send first began (even to nobody), so that people who
    # subscribe later are not sent an issue that went out before them.
    """
    ALTER TABLE issue ADD COLUMN auto_send INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE issue ADD COLUMN send_started_at TEXT;
    UPDATE issue SET send_started_at = (SELECT min(queued_at) FROM delivery d WHERE d.issue_number = number);
    """,
    # 5: leases: who is doing a job that only one process may do at a time (sending an
    # issue), until when. A holder renews its lease while it works; a lease that was not
    # renewed in time, or whose process is gone, may be taken over, so a killed sender
    # never blocks the next one.
    """
    CREATE TABLE lease (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        pid INTEGER NOT NULL,
        host TEXT NOT NULL,
        taken_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    """,
    # 6: subscriber ids are never used twice (AUTOINCREMENT: a removed subscriber's id,
    # named by their old links, can never name somebody else), and confirm_nonce, the
    # secret of a subscriber's latest sign-up that their confirmation link is bound to.
    """
    CREATE TABLE subscriber_v6 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        email TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'unsubscribed', 'bounced')),
        created_at TEXT NOT NULL,
        confirmed_at TEXT,
        unsubscribed_at TEXT,
        source TEXT NOT NULL DEFAULT '',
        secret TEXT NOT NULL UNIQUE,
        bounces INTEGER NOT NULL DEFAULT 0,
        confirm_nonce TEXT
    );
    INSERT INTO subscriber_v6 (id, email, name, status, created_at, confirmed_at, unsubscribed_at, source, secret,
                               bounces)
        SELECT id, email, name, status, created_at, confirmed_at, unsubscribed_at, source, secret, bounces
        FROM subscriber;
    DROP TABLE subscriber;
    ALTER TABLE subscriber_v6 RENAME TO subscriber;
    CREATE UNIQUE INDEX subscriber_email ON subscriber(email COLLATE NOCASE);
    CREATE INDEX subscriber_status ON subscriber(status, id);
    """,
    # 7: why a message failed: permanent (the server refused it, 5xx) or not (it was deferred
    # max_attempts times), so that `send --retry-failed` tries again only the second kind.
    """
    ALTER TABLE delivery ADD COLUMN permanent INTEGER NOT NULL DEFAULT 1;
    UPDATE delivery SET permanent = 0 WHERE status = 'failed' AND reply NOT LIKE '5%';
    """,
    # 8: each article file as last parsed, keyed by what its parse depended on (content.cache),
    # so that a build reads and parses only the files that changed.
    """
    CREATE TABLE parsed (path TEXT PRIMARY KEY, key TEXT NOT NULL, data TEXT NOT NULL);
    """,
    # 9: a kept parse is its head (every field but the body, which the few articles rendered
    # again read from their files); and each article's feed entries as last made, keyed by what
    # they were made from, so that only a changed article's are made again.
    """
    DROP TABLE parsed;
    CREATE TABLE parsed (path TEXT PRIMARY KEY, key TEXT NOT NULL, head TEXT NOT NULL);
    CREATE TABLE entry (id TEXT PRIMARY KEY, key TEXT NOT NULL, rss BLOB NOT NULL, atom BLOB NOT NULL,
                        json BLOB NOT NULL);
    """,
    # 10: the time an issue is to be sent at (`syndicate send --at`, UTC): `run` and `schedule`
    # send it then, or at their first pass after it.
    """
    ALTER TABLE issue ADD COLUMN send_at TEXT;
    """,
    # 11: [[sources]], the feeds of other sites: each one's fetch state (keyed by its URL, as
    # config.source_key writes it), and every entry it ever gave, keyed by the source and the
    # entry's own id, recorded at first sight with the article id it is given then (so that an
    # entry is never in two issues, however its feed changes). ``taken`` = 0: seen, but older
    # than max_age when first seen, so left out; ``data``: the entry as last fetched (JSON).
    """
    CREATE TABLE source (
        url TEXT PRIMARY KEY,
        added_at TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'new',
        message TEXT NOT NULL DEFAULT '',
        etag TEXT NOT NULL DEFAULT '',
        last_modified TEXT NOT NULL DEFAULT '',
        fetched_at TEXT,
        ok_at TEXT,
        next_fetch_at TEXT,
        failures INTEGER NOT NULL DEFAULT 0,
        last_result TEXT NOT NULL DEFAULT '',
        title TEXT NOT NULL DEFAULT '',
        home TEXT NOT NULL DEFAULT '',
        moved_to TEXT NOT NULL DEFAULT '',
        body_hash TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE source_entry (
        key TEXT PRIMARY KEY,
        source_url TEXT NOT NULL,
        article_id TEXT NOT NULL UNIQUE,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        taken INTEGER NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX source_entry_source ON source_entry(source_url, taken);
    """,
    # 12: the send on a worker fleet ([delivery] workers = "celery"). An issue's ledger rows are cut
    # into batches, ranges of subscriber ids, one broker task each. ``queued_at``: when its task was
    # last put on the broker (NULL once a worker took it); a worker claims a batch (``holder``, its
    # ``pid`` and ``host``) until ``held_until``, renewing the claim as it sends. One row per live
    # worker, its heartbeat in ``seen_at``.
    """
    CREATE TABLE fleet_batch (
        issue_number INTEGER NOT NULL,
        first_id INTEGER NOT NULL,
        last_id INTEGER NOT NULL,
        queued_at TEXT,
        holder TEXT NOT NULL DEFAULT '',
        pid INTEGER NOT NULL DEFAULT 0,
        host TEXT NOT NULL DEFAULT '',
        held_until TEXT,
        PRIMARY KEY (issue_number, first_id)
    );
    CREATE TABLE fleet_worker (
        name TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        concurrency INTEGER NOT NULL,
        queues TEXT NOT NULL,
        started_at TEXT NOT NULL,
        seen_at TEXT NOT NULL
    );
    """,
    # 13: what the last build leaves for the next one to build from when few files changed
    # (feeds.catalogue): one row, its data as the build wrote it.
    """
    CREATE TABLE catalogue (id INTEGER PRIMARY KEY CHECK (id = 1), data BLOB NOT NULL);
    """,
]


#: PostgreSQL's text of the migrations whose SQLite text does not run there, by number (1-based).
POSTGRES = {
    # 3: subscriber ids are an identity from the start (SQLite gets there in 6), never reused;
    # addresses are unique whatever their case: lower(email), which the queries compare.
    3: """
    CREATE TABLE subscriber (
        id INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        email TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'unsubscribed', 'bounced')),
        created_at TEXT NOT NULL,
        confirmed_at TEXT,
        unsubscribed_at TEXT,
        source TEXT NOT NULL DEFAULT '',
        secret TEXT NOT NULL UNIQUE,
        bounces INTEGER NOT NULL DEFAULT 0
    );
    CREATE UNIQUE INDEX subscriber_email ON subscriber(lower(email));
    CREATE INDEX subscriber_status ON subscriber(status, id);
    CREATE TABLE delivery (
        issue_number INTEGER NOT NULL REFERENCES issue(number),
        subscriber_id INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'deferred', 'failed', 'skipped')),
        attempts INTEGER NOT NULL DEFAULT 0,
        queued_at TEXT NOT NULL,
        next_attempt_at TEXT,
        sent_at TEXT,
        message_id TEXT NOT NULL DEFAULT '',
        reply TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (issue_number, subscriber_id)
    );
    CREATE INDEX delivery_todo ON delivery(issue_number, status, subscriber_id);
    """,
    # 6: the ids already are never reused (3); only the confirm nonce is new.
    6: """
    ALTER TABLE subscriber ADD COLUMN confirm_nonce TEXT;
    """,
    9: """
    DROP TABLE parsed;
    CREATE TABLE parsed (path TEXT PRIMARY KEY, key TEXT NOT NULL, head TEXT NOT NULL);
    CREATE TABLE entry (id TEXT PRIMARY KEY, key TEXT NOT NULL, rss BYTEA NOT NULL, atom BYTEA NOT NULL,
                        json BYTEA NOT NULL);
    """,
    13: """
    CREATE TABLE catalogue (id INTEGER PRIMARY KEY CHECK (id = 1), data BYTEA NOT NULL);
    """,
}


def script_for(dialect: str, number: int) -> str:
    """The text of migration ``number`` (1-based) for ``dialect`` ("sqlite" or "postgresql")."""
    if dialect == "postgresql" and number in POSTGRES:
        return POSTGRES[number]
    return MIGRATIONS[number - 1]


def statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
