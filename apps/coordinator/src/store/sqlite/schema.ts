// The SQLite schema. Versioned through `PRAGMA user_version`; each step runs once, in order.
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
  CREATE TABLE projects (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL, owner TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL
  );
  CREATE TABLE blobs (hash TEXT PRIMARY KEY, bytes BLOB NOT NULL) WITHOUT ROWID;
  CREATE TABLE jobs (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, project TEXT NOT NULL REFERENCES projects(id),
    state TEXT NOT NULL, definition TEXT NOT NULL, credit REAL NOT NULL DEFAULT 0, created_at INTEGER NOT NULL
  );
  -- state: staged | unsent | in_progress | validated | failed | cancelled | probe (known answer)
  CREATE TABLE work_units (
    id INTEGER PRIMARY KEY, job TEXT NOT NULL, state TEXT NOT NULL, batch TEXT,
    input_hash TEXT NOT NULL, expected_hash TEXT, tag TEXT,
    quorum INTEGER NOT NULL, need INTEGER NOT NULL, in_flight INTEGER NOT NULL DEFAULT 0,
    issued INTEGER NOT NULL DEFAULT 0, errors INTEGER NOT NULL DEFAULT 0, agree INTEGER NOT NULL DEFAULT 0,
    hr_class TEXT, canonical_replica INTEGER, output_hash TEXT, reason TEXT,
    finished_at INTEGER, result_seq INTEGER
  );
  CREATE INDEX work_units_need ON work_units(job, id) WHERE need > 0;
  CREATE INDEX work_units_state ON work_units(job, state);
  CREATE INDEX work_units_batch ON work_units(batch) WHERE batch IS NOT NULL;
  CREATE UNIQUE INDEX work_units_results ON work_units(job, result_seq) WHERE result_seq IS NOT NULL;
  -- one row per replica: the lease, then its result. state: leased | returned | valid | invalid | error | expired | superseded
  CREATE TABLE replicas (
    id INTEGER PRIMARY KEY, wu INTEGER NOT NULL, job TEXT NOT NULL, volunteer TEXT NOT NULL,
    state TEXT NOT NULL, leased_at INTEGER NOT NULL, deadline INTEGER NOT NULL,
    returned_at INTEGER, output_hash TEXT, output BLOB, backend TEXT, error_code TEXT, error_message TEXT,
    UNIQUE (wu, volunteer)
  );
  CREATE INDEX replicas_leased ON replicas(deadline) WHERE state = 'leased';
  CREATE INDEX replicas_returned ON replicas(wu) WHERE state = 'returned';
  CREATE INDEX replicas_volunteer_leased ON replicas(volunteer) WHERE state = 'leased';
  CREATE TABLE volunteers (
    key TEXT PRIMARY KEY, consecutive_valid INTEGER NOT NULL DEFAULT 0, flagged INTEGER NOT NULL DEFAULT 0,
    leased INTEGER NOT NULL DEFAULT 0, returned INTEGER NOT NULL DEFAULT 0, valid INTEGER NOT NULL DEFAULT 0,
    invalid INTEGER NOT NULL DEFAULT 0, errors INTEGER NOT NULL DEFAULT 0, credit REAL NOT NULL DEFAULT 0
  ) WITHOUT ROWID;
  CREATE TABLE receipts (
    idx INTEGER PRIMARY KEY, volunteer TEXT NOT NULL, body TEXT NOT NULL, signature TEXT
  );
  CREATE INDEX receipts_volunteer ON receipts(volunteer, idx);
  CREATE TABLE merkle_nodes (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID;
  CREATE TABLE challenges (challenge TEXT PRIMARY KEY, volunteer TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
  `,
  `
  -- Inputs of a work-unit upload wait here until the upload commits, so an aborted upload leaves no blobs behind.
  CREATE TABLE staged_blobs (batch TEXT NOT NULL, hash TEXT NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (batch, hash)) WITHOUT ROWID;
  `,
  `
  -- The host origins whose pages may frame a project's widget (written into its frame-ancestors).
  CREATE TABLE project_embedding (
    project TEXT NOT NULL REFERENCES projects(id), origin TEXT NOT NULL, PRIMARY KEY (project, origin)
  ) WITHOUT ROWID;
  `,
  `
  -- Uploads committed under a client's Idempotency-Key, with the SHA-256 of their body and what they added,
  -- so that the retry of a committed upload adds nothing and gets the same answer.
  CREATE TABLE upload_keys (
    job TEXT NOT NULL, key TEXT NOT NULL, body_hash TEXT NOT NULL,
    added INTEGER NOT NULL, known_answer INTEGER NOT NULL, first INTEGER, last INTEGER, committed_at INTEGER NOT NULL,
    PRIMARY KEY (job, key)
  ) WITHOUT ROWID;
  `,
  `
  -- A job's replicas by state and its failures by code, for its progress reports. Triggers keep them in the
  -- transaction of every replica change, so that a report reads a few rows however many replicas the job
  -- has (counting 200,000 replicas' states took ~200 ms; a report is made every 500 ms for each watched job).
  CREATE TABLE job_replica_states (
    job TEXT NOT NULL, state TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (job, state)
  ) WITHOUT ROWID;
  -- code: the volunteer's error code, or lease_expired; latest: the replica of the latest such failure.
  CREATE TABLE job_failures (
    job TEXT NOT NULL, code TEXT NOT NULL, n INTEGER NOT NULL, latest INTEGER NOT NULL, PRIMARY KEY (job, code)
  ) WITHOUT ROWID;
  INSERT INTO job_replica_states (job, state, n) SELECT job, state, COUNT(*) FROM replicas GROUP BY job, state;
  INSERT INTO job_failures (job, code, n, latest)
    SELECT job, COALESCE(error_code, 'lease_expired'), COUNT(*), MAX(id) FROM replicas
    WHERE state IN ('error', 'expired') GROUP BY job, COALESCE(error_code, 'lease_expired');
  CREATE TRIGGER replicas_count_insert AFTER INSERT ON replicas BEGIN
    INSERT INTO job_replica_states (job, state, n) VALUES (NEW.job, NEW.state, 1)
      ON CONFLICT (job, state) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER replicas_count_state AFTER UPDATE OF state ON replicas WHEN OLD.state <> NEW.state BEGIN
    UPDATE job_replica_states SET n = n - 1 WHERE job = OLD.job AND state = OLD.state;
    INSERT INTO job_replica_states (job, state, n) VALUES (NEW.job, NEW.state, 1)
      ON CONFLICT (job, state) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER replicas_count_failure AFTER UPDATE OF state ON replicas
    WHEN NEW.state IN ('error', 'expired') AND OLD.state NOT IN ('error', 'expired') BEGIN
    INSERT INTO job_failures (job, code, n, latest) VALUES (NEW.job, COALESCE(NEW.error_code, 'lease_expired'), 1, NEW.id)
      ON CONFLICT (job, code) DO UPDATE SET n = n + 1, latest = excluded.latest;
  END;
  -- The volunteers holding a job's leases: only leased replicas are in it, so it stays small.
  CREATE INDEX replicas_job_leased ON replicas(job, volunteer) WHERE state = 'leased';
  `,
  `
  -- Issue 16: the state machine moved out of the store; what it needs from the schema.
  -- Each job hands out its own result places (the download cursor) from its row, so that cursors follow
  -- commit order with several coordinators on one database; they continue from the places already taken.
  ALTER TABLE jobs ADD COLUMN result_seq INTEGER NOT NULL DEFAULT 0;
  UPDATE jobs SET result_seq = COALESCE((SELECT MAX(w.result_seq) FROM work_units w WHERE w.job = jobs.id), 0);
  -- The log's head: size, the frontier of its tree (the perfect subtrees its size names, 32 bytes each,
  -- largest first), root, and when it last grew. Filled from the stored tree once (sqlite-persistence.ts).
  CREATE TABLE log_head (
    id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL, frontier BLOB NOT NULL, root BLOB NOT NULL,
    at INTEGER NOT NULL
  );
  -- When each upload began staging, so that one a crash cut short can be dropped once no request can be that old.
  CREATE TABLE upload_batches (batch TEXT PRIMARY KEY, job TEXT NOT NULL, started_at INTEGER NOT NULL) WITHOUT ROWID;
  -- A volunteer's leases in flight are its counters' difference (leased - returned), and its results waiting
  -- for a verdict a counter of their own: no index follows a replica's state any more but the one the sweep
  -- reads (leases by deadline), and a unit's waiting results are found through (wu, volunteer).
  ALTER TABLE volunteers ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
  UPDATE volunteers SET pending = (SELECT COUNT(*) FROM replicas r WHERE r.volunteer = volunteers.key AND r.state = 'returned');
  DROP INDEX replicas_volunteer_leased;
  DROP INDEX replicas_returned;
  -- Each receipt carries its Merkle leaf hash: the tree's level 0 is no longer a row of its own.
  ALTER TABLE receipts ADD COLUMN leaf BLOB;
  `,
  `
  -- The operator's ban list: keys refused at the token exchange and on every volunteer request.
  CREATE TABLE bans (volunteer TEXT PRIMARY KEY, reason TEXT NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID;
  `,
  `
  -- Issue 19: credits buy compute. A volunteer key's personal project (one per key), whose jobs it pays for;
  -- and what a key spent, and earned on jobs it paid for itself (kept, not spendable: steps/fund.ts).
  CREATE TABLE project_funders (project TEXT PRIMARY KEY REFERENCES projects(id), funder TEXT NOT NULL UNIQUE) WITHOUT ROWID;
  ALTER TABLE volunteers ADD COLUMN spent REAL NOT NULL DEFAULT 0;
  ALTER TABLE volunteers ADD COLUMN own_credit REAL NOT NULL DEFAULT 0;
  `,
  `
  -- Issue 19: other grids' receipts credited here, each once (log = that grid's public key, idx its index).
  CREATE TABLE imported_receipts (
    log TEXT NOT NULL, idx INTEGER NOT NULL, volunteer TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (log, idx)
  ) WITHOUT ROWID;
  `,
  `
  -- Issue 17: where each volunteer key comes from, as the token route saw it (the client address of its latest
  -- token and that address's rate-limit bucket), and when it first traded a challenge for a token: leasing never
  -- gives replicas of one unit to keys of one address or of one burst from one network, and caps the leases of
  -- all keys of one address (rules/assignment.ts, rules/lease-limits.ts). Null for keys never seen there.
  ALTER TABLE volunteers ADD COLUMN address TEXT;
  ALTER TABLE volunteers ADD COLUMN bucket TEXT;
  ALTER TABLE volunteers ADD COLUMN first_seen INTEGER;
  CREATE INDEX volunteers_bucket ON volunteers(bucket) WHERE bucket IS NOT NULL;
  -- What restarts added to a live lease's deadline (the grid's downtime and the grace after it): a lease's total
  -- lifetime, which heartbeats never extend, is counted without it, as if the clock had stopped with the grid.
  ALTER TABLE replicas ADD COLUMN paused_ms INTEGER NOT NULL DEFAULT 0;
  `,
  `
  -- Issue 17, phase 2: a volunteer key's standing (rules/standing.ts) in place of its consecutive valid results.
  -- Reputation: validated results since trust was last lost (fading with age from rep_at), known answers passed,
  -- when it was last trusted, wrong answers ever, and whether its results still count towards quorums. Error
  -- budget: what is left of its allowance, and when it was last refilled (NULL: never charged). Trust earned
  -- under the old rule (agreeing results alone, no known answers) is not carried over; a flagged key (one that
  -- failed a known answer) no longer votes. The old columns stay, unread.
  ALTER TABLE volunteers ADD COLUMN rep_record REAL NOT NULL DEFAULT 0;
  ALTER TABLE volunteers ADD COLUMN rep_probes INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE volunteers ADD COLUMN rep_at INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE volunteers ADD COLUMN trusted_since INTEGER;
  ALTER TABLE volunteers ADD COLUMN strikes INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE volunteers ADD COLUMN voting INTEGER NOT NULL DEFAULT 1;
  ALTER TABLE volunteers ADD COLUMN error_allowance REAL NOT NULL DEFAULT 1;
  ALTER TABLE volunteers ADD COLUMN error_allowance_at INTEGER;
  UPDATE volunteers SET voting = 0, strikes = 2 WHERE flagged = 1;
  -- The units validated on one key's result alone, found when that key loses trust (steps/recheck.ts).
  CREATE INDEX work_units_single ON work_units(canonical_replica) WHERE quorum = 1 AND state = 'validated';
  `,
  `
  -- A key's validated results, newest first: what its silencing checks again (steps/recheck.ts), found without
  -- reading every key's replicas.
  CREATE INDEX replicas_volunteer_valid ON replicas(volunteer, id) WHERE state = 'valid';
  -- A job's units under re-check (validated, a vote short of their quorum since a key lost trust or its vote):
  -- the job is not completed while any is (tx-jobs.ts hasUnfinished).
  CREATE INDEX work_units_rechecking ON work_units(job) WHERE state = 'validated' AND agree < quorum;
  `,
  `
  -- The lease window (steps/draw.ts) reads the ids of a job's wanting units a key may take, bound to its backend
  -- class or to none: with the class in the index it never reads a unit's row; the rows of the few units drawn
  -- are read after. (Replaces work_units_need, of which it is a superset.)
  CREATE INDEX work_units_window ON work_units(job, id, hr_class) WHERE need > 0;
  DROP INDEX work_units_need;
  `,
  `
  -- Inputs in ordinary (rowid) tables, keyed by a unique index. Stored WITHOUT ROWID, each input (kilobytes: a
  -- cnn unit's is 8 KiB) sat in the key's own b-tree, interior pages included, and every lookup read the inputs
  -- it passed on its way down: 24 µs to find one of 6,000 (1.4 µs now), a 512-unit lease answer's inputs in 16 ms
  -- (3 ms now). SQLite's guidance is the same: WITHOUT ROWID is for rows of a small fraction of a page.
  CREATE TABLE blobs_by_rowid (hash TEXT PRIMARY KEY, bytes BLOB NOT NULL);
  INSERT INTO blobs_by_rowid (hash, bytes) SELECT hash, bytes FROM blobs;
  DROP TABLE blobs;
  ALTER TABLE blobs_by_rowid RENAME TO blobs;
  CREATE TABLE staged_by_rowid (batch TEXT NOT NULL, hash TEXT NOT NULL, bytes BLOB NOT NULL, UNIQUE (batch, hash));
  INSERT INTO staged_by_rowid (batch, hash, bytes) SELECT batch, hash, bytes FROM staged_blobs;
  DROP TABLE staged_blobs;
  ALTER TABLE staged_by_rowid RENAME TO staged_blobs;
  `,
  `
  -- A job's started units still short of their quorum: what a funded job whose balance is short leases first, and
  -- what its funder's balance keeps back for them (steps/fund.ts), found without reading every wanting unit.
  CREATE INDEX work_units_started ON work_units(job, id, hr_class) WHERE need > 0 AND issued > 0;
  `,
  `
  -- Known answers that turned out suspect (rules/known-answers.ts). A key's standing counts the known answers it
  -- failed that still stand: a suspect one gives back the vote it took unless another still stands against the
  -- key. A silenced key's catches are counted from its invalid results on known-answer units (of any project: under
  -- the rules of their time each silenced it), and at least one if it stopped voting with fewer strikes than two
  -- (rules/reputation.ts maxStrikes): a known answer did that, whatever is left of its results.
  ALTER TABLE volunteers ADD COLUMN rep_caught INTEGER NOT NULL DEFAULT 0;
  UPDATE volunteers SET rep_caught = 1 WHERE voting = 0 AND strikes < 2;
  UPDATE volunteers SET rep_caught = MAX(volunteers.rep_caught, c.n)
    FROM (SELECT r.volunteer AS key, COUNT(*) AS n FROM replicas r JOIN work_units w ON w.id = r.wu
          WHERE r.state = 'invalid' AND w.state = 'probe' GROUP BY r.volunteer) AS c
    WHERE c.key = volunteers.key AND volunteers.voting = 0;
  `,
  `
  -- A key may be leased a unit a second time, once, if its first replica of it was given back or ran out (steps/
  -- lease.ts): a grid of few keys is otherwise left with units none of them may take. One replica per key and unit
  -- becomes at most two, the second marked retake; SQLite drops a table's UNIQUE only by copying the table
  -- (rows, ids, indexes and triggers kept).
  CREATE TABLE replicas_with_retake (
    id INTEGER PRIMARY KEY, wu INTEGER NOT NULL, job TEXT NOT NULL, volunteer TEXT NOT NULL,
    state TEXT NOT NULL, leased_at INTEGER NOT NULL, deadline INTEGER NOT NULL,
    returned_at INTEGER, output_hash TEXT, output BLOB, backend TEXT, error_code TEXT, error_message TEXT,
    paused_ms INTEGER NOT NULL DEFAULT 0, retake INTEGER NOT NULL DEFAULT 0 CHECK (retake IN (0, 1)),
    UNIQUE (wu, volunteer, retake)
  );
  INSERT INTO replicas_with_retake (id, wu, job, volunteer, state, leased_at, deadline, returned_at, output_hash,
      output, backend, error_code, error_message, paused_ms)
    SELECT id, wu, job, volunteer, state, leased_at, deadline, returned_at, output_hash, output, backend, error_code,
      error_message, paused_ms FROM replicas;
  DROP TABLE replicas;
  ALTER TABLE replicas_with_retake RENAME TO replicas;
  CREATE INDEX replicas_leased ON replicas(deadline) WHERE state = 'leased';
  CREATE INDEX replicas_job_leased ON replicas(job, volunteer) WHERE state = 'leased';
  CREATE INDEX replicas_volunteer_valid ON replicas(volunteer, id) WHERE state = 'valid';
  -- A key's first replicas that came back with no answer: what it may retake, found without reading its others.
  CREATE INDEX replicas_retakeable ON replicas(volunteer, job, wu) WHERE retake = 0 AND state IN ('released', 'expired');
  CREATE TRIGGER replicas_count_insert AFTER INSERT ON replicas BEGIN
    INSERT INTO job_replica_states (job, state, n) VALUES (NEW.job, NEW.state, 1)
      ON CONFLICT (job, state) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER replicas_count_state AFTER UPDATE OF state ON replicas WHEN OLD.state <> NEW.state BEGIN
    UPDATE job_replica_states SET n = n - 1 WHERE job = OLD.job AND state = OLD.state;
    INSERT INTO job_replica_states (job, state, n) VALUES (NEW.job, NEW.state, 1)
      ON CONFLICT (job, state) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER replicas_count_failure AFTER UPDATE OF state ON replicas
    WHEN NEW.state IN ('error', 'expired') AND OLD.state NOT IN ('error', 'expired') BEGIN
    INSERT INTO job_failures (job, code, n, latest) VALUES (NEW.job, COALESCE(NEW.error_code, 'lease_expired'), 1, NEW.id)
      ON CONFLICT (job, code) DO UPDATE SET n = n + 1, latest = excluded.latest;
  END;
  `,
  `
  -- A key may retake a unit more than once (steps/lease.ts, rules/assignment.ts RetakeRule), each time after a
  -- longer wait: the boolean retake becomes the attempt, 0 for a key's first replica of a unit and k for its k-th
  -- retake, and UNIQUE (wu, volunteer, attempt) keeps one replica per key, unit and attempt. Copied as before (rows,
  -- ids, indexes and triggers kept).
  CREATE TABLE replicas_with_attempt (
    id INTEGER PRIMARY KEY, wu INTEGER NOT NULL, job TEXT NOT NULL, volunteer TEXT NOT NULL,
    state TEXT NOT NULL, leased_at INTEGER NOT NULL, deadline INTEGER NOT NULL,
    returned_at INTEGER, output_hash TEXT, output BLOB, backend TEXT, error_code TEXT, error_message TEXT,
    paused_ms INTEGER NOT NULL DEFAULT 0, attempt INTEGER NOT NULL DEFAULT 0 CHECK (attempt >= 0),
    UNIQUE (wu, volunteer, attempt)
  );
  INSERT INTO replicas_with_attempt (id, wu, job, volunteer, state, leased_at, deadline, returned_at, output_hash,
      output, backend, error_code, error_message, paused_ms, attempt)
    SELECT id, wu, job, volunteer, state, leased_at, deadline, returned_at, output_hash, output, backend, error_code,
      error_message, paused_ms, retake FROM replicas;
  DROP TABLE replicas;
  ALTER TABLE replicas_with_attempt RENAME TO replicas;
  CREATE INDEX replicas_leased ON replicas(deadline) WHERE state = 'leased';
  CREATE INDEX replicas_job_leased ON replicas(job, volunteer) WHERE state = 'leased';
  CREATE INDEX replicas_volunteer_valid ON replicas(volunteer, id) WHERE state = 'valid';
  -- A key's replicas that came back with no answer: what it may retake (its latest of a unit), found without
  -- reading its others.
  CREATE INDEX replicas_retakeable ON replicas(volunteer, job, wu) WHERE state IN ('released', 'expired');
  CREATE TRIGGER replicas_count_insert AFTER INSERT ON replicas BEGIN
    INSERT INTO job_replica_states (job, state, n) VALUES (NEW.job, NEW.state, 1)
      ON CONFLICT (job, state) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER replicas_count_state AFTER UPDATE OF state ON replicas WHEN OLD.state <> NEW.state BEGIN
    UPDATE job_replica_states SET n = n - 1 WHERE job = OLD.job AND state = OLD.state;
    INSERT INTO job_replica_states (job, state, n) VALUES (NEW.job, NEW.state, 1)
      ON CONFLICT (job, state) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER replicas_count_failure AFTER UPDATE OF state ON replicas
    WHEN NEW.state IN ('error', 'expired') AND OLD.state NOT IN ('error', 'expired') BEGIN
    INSERT INTO job_failures (job, code, n, latest) VALUES (NEW.job, COALESCE(NEW.error_code, 'lease_expired'), 1, NEW.id)
      ON CONFLICT (job, code) DO UPDATE SET n = n + 1, latest = excluded.latest;
  END;
  `,
  `
  -- Issue 19: exports made with a client's requestId (steps/export.ts), so that a request sent again (its answer
  -- lost) is answered with its first export's log entry (idx) instead of moving the credit twice; to_key and
  -- amount are what it asked for, a request id used again for another export is refused. Written in the
  -- transaction of the debit.
  CREATE TABLE export_requests (
    volunteer TEXT NOT NULL, request_id TEXT NOT NULL, to_key TEXT NOT NULL, amount REAL NOT NULL,
    idx INTEGER NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (volunteer, request_id)
  ) WITHOUT ROWID;
  `,
  `
  -- Lease requests a page named (LeaseRequest.request), so that a page going while one is out can give back what
  -- it was granted without reading the answer (steps/lease-requests.ts): the leases granted under it (a JSON array
  -- of lease numbers), and whether a release gave it up (nothing more is granted under it). Kept a few minutes.
  CREATE TABLE lease_requests (
    volunteer TEXT NOT NULL, request TEXT NOT NULL, leases TEXT NOT NULL,
    given_up INTEGER NOT NULL CHECK (given_up IN (0, 1)), expires_at INTEGER NOT NULL,
    PRIMARY KEY (volunteer, request)
  ) WITHOUT ROWID;
  CREATE INDEX lease_requests_expiry ON lease_requests(expires_at);
  `,
  `
  -- The replicas of each unit its job's funder was debited for (steps/fund.ts payFor), so that each is paid for
  -- once: a unit paid for as it validated and then taken back by a re-check that disputed it (steps/validate.ts
  -- withdraw) is debited anew only for its replicas since, and a re-check is paid for as it comes back. Read from
  -- the log, whose debit entries name their unit and replicas.
  ALTER TABLE work_units ADD COLUMN charged INTEGER NOT NULL DEFAULT 0;
  UPDATE work_units SET charged = d.n
    FROM (SELECT json_extract(body, '$.workUnit') AS unit, SUM(json_extract(body, '$.replicas')) AS n
          FROM receipts WHERE instr(body, '"debit"') > 0 AND json_extract(body, '$.type') = 'debit' GROUP BY 1) AS d
    WHERE d.unit = 'wu_' || work_units.id;
  `,
  `
  -- A re-check that takes a unit back sets aside every vote of its old quorum (steps/validate.ts withdraw), so that
  -- a valid replica is one its unit's current quorum counts: what a silencing takes off (steps/recheck.ts). Units
  -- taken back before, and neither validated since nor known answers, still hold the votes that agreed with the
  -- disputed result: set aside as the canonical one was. (Those of units validated anew since are not told apart
  -- from the new quorum's by their rows, and stay.)
  UPDATE replicas SET state = 'superseded', output = NULL
    WHERE state = 'valid' AND wu IN (SELECT id FROM work_units WHERE state NOT IN ('validated', 'probe', 'suspect'));
  `,
  `
  -- Export requests a key settled as not made (steps/export.ts settleExport): a page whose export got no answer
  -- asks for the request to be settled, and one with no export under it is closed, so that the same request landing
  -- later (held up in a proxy, or on a busy database) is refused rather than move credit the page said did not move.
  -- Kept for good, like export_requests: such a request may land any time after.
  CREATE TABLE closed_export_requests (
    volunteer TEXT NOT NULL, request_id TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (volunteer, request_id)
  ) WITHOUT ROWID;
  `,
];
