// The Postgres schema: the SQLite one (../sqlite/schema.ts) as it stands after its migrations, in Postgres
// types. Versioned in `schema_version`; each step runs once, in order, under an advisory lock, so that
// coordinators starting together migrate once.
export const PG_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value BYTEA NOT NULL);
  CREATE TABLE projects (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL, owner TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE, created_at BIGINT NOT NULL
  );
  CREATE TABLE blobs (hash TEXT PRIMARY KEY, bytes BYTEA NOT NULL);
  CREATE TABLE jobs (
    seq BIGSERIAL NOT NULL, id TEXT PRIMARY KEY, project TEXT NOT NULL REFERENCES projects(id),
    state TEXT NOT NULL, definition TEXT NOT NULL, credit DOUBLE PRECISION NOT NULL DEFAULT 0,
    result_seq BIGINT NOT NULL DEFAULT 0, created_at BIGINT NOT NULL
  );
  -- state: staged | unsent | in_progress | validated | failed | cancelled | probe (known answer)
  CREATE TABLE work_units (
    id BIGSERIAL PRIMARY KEY, job TEXT NOT NULL, state TEXT NOT NULL, batch TEXT,
    input_hash TEXT NOT NULL, expected_hash TEXT, tag TEXT,
    quorum INTEGER NOT NULL, need INTEGER NOT NULL, in_flight INTEGER NOT NULL DEFAULT 0,
    issued INTEGER NOT NULL DEFAULT 0, errors INTEGER NOT NULL DEFAULT 0, agree INTEGER NOT NULL DEFAULT 0,
    hr_class TEXT, canonical_replica BIGINT, output_hash TEXT, reason TEXT,
    finished_at BIGINT, result_seq BIGINT
  );
  CREATE INDEX work_units_need ON work_units(job, id) WHERE need > 0;
  CREATE INDEX work_units_state ON work_units(job, state);
  CREATE INDEX work_units_batch ON work_units(batch) WHERE batch IS NOT NULL;
  CREATE UNIQUE INDEX work_units_results ON work_units(job, result_seq) WHERE result_seq IS NOT NULL;
  -- one row per replica: the lease, then its result. state: leased | returned | valid | invalid | error | expired | superseded
  CREATE TABLE replicas (
    id BIGSERIAL PRIMARY KEY, wu BIGINT NOT NULL, job TEXT NOT NULL, volunteer TEXT NOT NULL,
    state TEXT NOT NULL, leased_at BIGINT NOT NULL, deadline BIGINT NOT NULL,
    returned_at BIGINT, output_hash TEXT, output BYTEA, backend TEXT, error_code TEXT, error_message TEXT,
    UNIQUE (wu, volunteer)
  );
  CREATE INDEX replicas_leased ON replicas(deadline) WHERE state = 'leased';
  CREATE TABLE volunteers (
    key TEXT PRIMARY KEY, consecutive_valid INTEGER NOT NULL DEFAULT 0, flagged BOOLEAN NOT NULL DEFAULT false,
    leased BIGINT NOT NULL DEFAULT 0, returned BIGINT NOT NULL DEFAULT 0, valid BIGINT NOT NULL DEFAULT 0,
    invalid BIGINT NOT NULL DEFAULT 0, errors BIGINT NOT NULL DEFAULT 0, credit DOUBLE PRECISION NOT NULL DEFAULT 0,
    pending BIGINT NOT NULL DEFAULT 0
  );
  -- leaf: the receipt's Merkle leaf hash, the tree's level 0 (merkle_nodes holds the levels above).
  CREATE TABLE receipts (
    idx BIGINT PRIMARY KEY, volunteer TEXT NOT NULL, body TEXT NOT NULL, signature TEXT, leaf BYTEA NOT NULL
  );
  CREATE INDEX receipts_volunteer ON receipts(volunteer, idx);
  CREATE TABLE merkle_nodes (level INTEGER NOT NULL, idx BIGINT NOT NULL, hash BYTEA NOT NULL, PRIMARY KEY (level, idx));
  CREATE TABLE challenges (challenge TEXT PRIMARY KEY, volunteer TEXT NOT NULL, expires_at BIGINT NOT NULL);
  CREATE TABLE staged_blobs (batch TEXT NOT NULL, hash TEXT NOT NULL, bytes BYTEA NOT NULL, PRIMARY KEY (batch, hash));
  CREATE TABLE project_embedding (
    project TEXT NOT NULL REFERENCES projects(id), origin TEXT NOT NULL, PRIMARY KEY (project, origin)
  );
  CREATE TABLE upload_keys (
    job TEXT NOT NULL, key TEXT NOT NULL, body_hash TEXT NOT NULL,
    added INTEGER NOT NULL, known_answer INTEGER NOT NULL, first BIGINT, last BIGINT, committed_at BIGINT NOT NULL,
    PRIMARY KEY (job, key)
  );
  -- The log's head, its single appender's lock: size, frontier (32 bytes per subtree, largest first), root, when it last grew.
  CREATE TABLE log_head (
    id INTEGER PRIMARY KEY CHECK (id = 1), size BIGINT NOT NULL, frontier BYTEA NOT NULL, root BYTEA NOT NULL,
    at BIGINT NOT NULL
  );
  INSERT INTO log_head (id, size, frontier, root, at) VALUES (1, 0, '', sha256(''), 0);
  CREATE TABLE upload_batches (batch TEXT PRIMARY KEY, job TEXT NOT NULL, started_at BIGINT NOT NULL);
  `,
  `
  -- The operator's ban list: keys refused at the token exchange and on every volunteer request.
  CREATE TABLE bans (volunteer TEXT PRIMARY KEY, reason TEXT NOT NULL, at BIGINT NOT NULL);
  `,
  `
  -- Issue 19: credits buy compute (see the SQLite schema).
  CREATE TABLE project_funders (project TEXT PRIMARY KEY REFERENCES projects(id), funder TEXT NOT NULL UNIQUE);
  ALTER TABLE volunteers ADD COLUMN spent DOUBLE PRECISION NOT NULL DEFAULT 0;
  ALTER TABLE volunteers ADD COLUMN own_credit DOUBLE PRECISION NOT NULL DEFAULT 0;
  `,
  `
  -- Issue 19: other grids' receipts credited here, each once.
  CREATE TABLE imported_receipts (
    log TEXT NOT NULL, idx BIGINT NOT NULL, volunteer TEXT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (log, idx)
  );
  `,
  `
  -- Issue 17: where each volunteer key comes from, and when it was first seen (see the SQLite schema).
  ALTER TABLE volunteers ADD COLUMN address TEXT;
  ALTER TABLE volunteers ADD COLUMN bucket TEXT;
  ALTER TABLE volunteers ADD COLUMN first_seen BIGINT;
  CREATE INDEX volunteers_bucket ON volunteers(bucket) WHERE bucket IS NOT NULL;
  ALTER TABLE replicas ADD COLUMN paused_ms BIGINT NOT NULL DEFAULT 0;
  `,
  `
  -- Issue 17, phase 2: a volunteer key's standing in place of its consecutive valid results (see the SQLite schema).
  ALTER TABLE volunteers ADD COLUMN rep_record DOUBLE PRECISION NOT NULL DEFAULT 0;
  ALTER TABLE volunteers ADD COLUMN rep_probes INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE volunteers ADD COLUMN rep_at BIGINT NOT NULL DEFAULT 0;
  ALTER TABLE volunteers ADD COLUMN trusted_since BIGINT;
  ALTER TABLE volunteers ADD COLUMN strikes INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE volunteers ADD COLUMN voting BOOLEAN NOT NULL DEFAULT true;
  ALTER TABLE volunteers ADD COLUMN error_allowance DOUBLE PRECISION NOT NULL DEFAULT 1;
  ALTER TABLE volunteers ADD COLUMN error_allowance_at BIGINT;
  UPDATE volunteers SET voting = false, strikes = 2 WHERE flagged;
  CREATE INDEX work_units_single ON work_units(canonical_replica) WHERE quorum = 1 AND state = 'validated';
  `,
  `
  -- A key's validated results, newest first: what its silencing checks again (see the SQLite schema).
  CREATE INDEX replicas_volunteer_valid ON replicas(volunteer, id) WHERE state = 'valid';
  CREATE INDEX work_units_rechecking ON work_units(job) WHERE state = 'validated' AND agree < quorum;
  `,
  `
  -- The lease window reads ids alone (see the SQLite schema).
  CREATE INDEX work_units_window ON work_units(job, id, hr_class) WHERE need > 0;
  DROP INDEX work_units_need;
  `,
  `
  -- A key's open leases, lowest first: what a page starting afresh takes back (steps/lease.ts resumeHeld).
  CREATE INDEX replicas_volunteer_leased ON replicas(volunteer, id) WHERE state = 'leased';
  `,
  `
  -- A job's started units still short of their quorum (see the SQLite schema).
  CREATE INDEX work_units_started ON work_units(job, id, hr_class) WHERE need > 0 AND issued > 0;
  `,
  `
  -- Known answers failed that still stand, per key (see the SQLite schema).
  ALTER TABLE volunteers ADD COLUMN rep_caught INTEGER NOT NULL DEFAULT 0;
  UPDATE volunteers SET rep_caught = 1 WHERE NOT voting AND strikes < 2;
  UPDATE volunteers v SET rep_caught = GREATEST(v.rep_caught, c.n)
    FROM (SELECT r.volunteer, COUNT(*)::int AS n FROM replicas r JOIN work_units w ON w.id = r.wu
          WHERE r.state = 'invalid' AND w.state = 'probe' GROUP BY r.volunteer) AS c
    WHERE c.volunteer = v.key AND NOT v.voting;
  `,
  `
  -- A key may be leased a unit a second time, once (see the SQLite schema): at most two replicas per key and unit.
  ALTER TABLE replicas ADD COLUMN retake BOOLEAN NOT NULL DEFAULT false;
  ALTER TABLE replicas DROP CONSTRAINT replicas_wu_volunteer_key;
  ALTER TABLE replicas ADD CONSTRAINT replicas_wu_volunteer_retake_key UNIQUE (wu, volunteer, retake);
  CREATE INDEX replicas_retakeable ON replicas(volunteer, job, wu) WHERE NOT retake AND state IN ('released', 'expired');
  `,
  `
  -- A key may retake a unit more than once, each time after a longer wait (see the SQLite schema): the boolean
  -- retake becomes the attempt, 0 for a key's first replica of a unit and k for its k-th retake.
  ALTER TABLE replicas ADD COLUMN attempt INTEGER NOT NULL DEFAULT 0 CHECK (attempt >= 0);
  UPDATE replicas SET attempt = 1 WHERE retake;
  DROP INDEX replicas_retakeable;
  ALTER TABLE replicas DROP CONSTRAINT replicas_wu_volunteer_retake_key;
  ALTER TABLE replicas DROP COLUMN retake;
  ALTER TABLE replicas ADD CONSTRAINT replicas_wu_volunteer_attempt_key UNIQUE (wu, volunteer, attempt);
  CREATE INDEX replicas_retakeable ON replicas(volunteer, job, wu) WHERE state IN ('released', 'expired');
  `,
  `
  -- Exports made with a client's requestId, each answered by one log entry (see the SQLite schema). The primary
  -- key holds should two transactions ever record one request: the second fails, its debit rolled back.
  CREATE TABLE export_requests (
    volunteer TEXT NOT NULL, request_id TEXT NOT NULL, to_key TEXT NOT NULL, amount DOUBLE PRECISION NOT NULL,
    idx BIGINT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (volunteer, request_id)
  );
  `,
  `
  -- Lease requests a page named, with the leases granted under each (see the SQLite schema). Written and read
  -- only under the key's volunteers row lock, so that a release and a lease of one key's request take turns.
  CREATE TABLE lease_requests (
    volunteer TEXT NOT NULL, request TEXT NOT NULL, leases TEXT NOT NULL, given_up BOOLEAN NOT NULL,
    expires_at BIGINT NOT NULL, PRIMARY KEY (volunteer, request)
  );
  CREATE INDEX lease_requests_expiry ON lease_requests(expires_at);
  `,
  `
  -- The replicas of each unit its job's funder was debited for, read from the log (see the SQLite schema).
  ALTER TABLE work_units ADD COLUMN charged INTEGER NOT NULL DEFAULT 0;
  UPDATE work_units w SET charged = d.n
    FROM (SELECT body::json->>'workUnit' AS unit, SUM((body::json->>'replicas')::int)::int AS n
          FROM receipts WHERE position('"debit"' in body) > 0 AND body::json->>'type' = 'debit' GROUP BY 1) AS d
    WHERE d.unit = 'wu_' || w.id;
  `,
  `
  -- A re-check that takes a unit back sets aside every vote of its old quorum: those still valid on units taken
  -- back before, and neither validated since nor known answers, are set aside (see the SQLite schema).
  UPDATE replicas SET state = 'superseded', output = NULL
    WHERE state = 'valid' AND wu IN (SELECT id FROM work_units WHERE state NOT IN ('validated', 'probe', 'suspect'));
  `,
  `
  -- Export requests a key settled as not made, refused if they land later (see the SQLite schema). Written and read
  -- only under the key's volunteers row lock, as export_requests is: a settle and its request's export take turns.
  CREATE TABLE closed_export_requests (
    volunteer TEXT NOT NULL, request_id TEXT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (volunteer, request_id)
  );
  `,
];
