-- Indicators are configuration (DHIS2-style): an aggregation over a data source a room registers at start.
-- Targets are first-class: indicator × region × year → target value.
CREATE TABLE indicators (
  key TEXT COLLATE "C" PRIMARY KEY,
  name TEXT NOT NULL,
  unit TEXT NOT NULL,
  format TEXT NOT NULL DEFAULT '',
  aggregation TEXT NOT NULL,
  source TEXT NOT NULL,
  denominator TEXT NOT NULL DEFAULT '',
  filter TEXT NOT NULL DEFAULT '{}',
  description TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE indicator_targets (
  indicator_key TEXT COLLATE "C" NOT NULL REFERENCES indicators(key),
  region_code TEXT COLLATE "C" NOT NULL,
  year INTEGER NOT NULL,
  value DOUBLE PRECISION NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  updated_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (indicator_key, region_code, year)
);
