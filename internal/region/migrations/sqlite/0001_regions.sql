CREATE TABLE regions (
  code TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  level TEXT NOT NULL,
  parent_code TEXT NOT NULL,
  lng REAL NOT NULL DEFAULT 0,
  lat REAL NOT NULL DEFAULT 0
);
CREATE INDEX regions_parent ON regions(parent_code);
