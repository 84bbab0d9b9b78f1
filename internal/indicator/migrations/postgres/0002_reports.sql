-- Reported values (填报值): for what no room measures, a responsible unit (责任单位) reports a figure for a region
-- as of a date with an evidence file; the task force approves it; approved reports are the source "reported.values"
-- (and the value of any indicator whose own source is not registered).
CREATE TABLE indicator_reports (
  id BIGINT PRIMARY KEY,
  indicator_key TEXT COLLATE "C" NOT NULL REFERENCES indicators(key),
  region_code TEXT COLLATE "C" NOT NULL,
  as_of TEXT NOT NULL,
  value DOUBLE PRECISION NOT NULL,
  unit_name TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  evidence_name TEXT NOT NULL,
  evidence_type TEXT NOT NULL,
  evidence_size INTEGER NOT NULL,
  evidence BYTEA NOT NULL,
  status TEXT NOT NULL,
  submitted_by BIGINT NOT NULL,
  submitted_by_name TEXT NOT NULL,
  submitted_at TIMESTAMPTZ NOT NULL,
  reviewed_by BIGINT NOT NULL DEFAULT 0,
  reviewed_by_name TEXT NOT NULL DEFAULT '',
  reviewed_at TIMESTAMPTZ,
  review_note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX indicator_reports_key ON indicator_reports(indicator_key, status, region_code, as_of);
CREATE INDEX indicator_reports_status ON indicator_reports(status, submitted_at);
