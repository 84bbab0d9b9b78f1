-- Live counts of subjects by village (or township), kind, status and industry ('' = all), kept in the same
-- transaction as every write so that list totals on a million-subject register stay instant. RebuildCounts
-- recomputes them from subjects; a test checks they always agree.
CREATE TABLE subject_counts (
  region_code TEXT NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  industry TEXT NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (region_code, kind, status, industry)
);
