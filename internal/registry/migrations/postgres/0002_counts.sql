-- Live counts of subjects by village (or township), kind, status and industry ('' = all); see the SQLite migration.
CREATE TABLE subject_counts (
  region_code TEXT COLLATE "C" NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  industry TEXT NOT NULL,
  n BIGINT NOT NULL,
  PRIMARY KEY (region_code, kind, status, industry)
);
