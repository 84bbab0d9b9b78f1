-- Reported values (填报值): for what no room measures, a responsible unit (责任单位) reports a figure for a region
-- as of a date with an evidence file; the task force approves it; approved reports are the source "reported.values"
-- (and the value of any indicator whose own source is not registered).
CREATE TABLE indicator_reports (
  id INTEGER PRIMARY KEY,
  indicator_key TEXT NOT NULL REFERENCES indicators(key),
  region_code TEXT NOT NULL,
  as_of TEXT NOT NULL,
  value REAL NOT NULL,
  unit_name TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  evidence_name TEXT NOT NULL,
  evidence_type TEXT NOT NULL,
  evidence_size INTEGER NOT NULL,
  evidence BLOB NOT NULL,
  status TEXT NOT NULL,
  submitted_by INTEGER NOT NULL,
  submitted_by_name TEXT NOT NULL,
  submitted_at TIMESTAMP NOT NULL,
  reviewed_by INTEGER NOT NULL DEFAULT 0,
  reviewed_by_name TEXT NOT NULL DEFAULT '',
  reviewed_at TIMESTAMP,
  review_note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX indicator_reports_key ON indicator_reports(indicator_key, status, region_code, as_of);
CREATE INDEX indicator_reports_status ON indicator_reports(status, submitted_at);
