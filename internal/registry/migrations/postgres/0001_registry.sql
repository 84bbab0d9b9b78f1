CREATE TABLE industries (
  name TEXT PRIMARY KEY,
  sort INTEGER NOT NULL DEFAULT 0,
  active BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE TABLE subjects (
  id BIGINT PRIMARY KEY,
  county_code TEXT COLLATE "C" NOT NULL,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  credit_code TEXT UNIQUE,
  legal_rep TEXT NOT NULL DEFAULT '',
  id_enc TEXT NOT NULL DEFAULT '',
  id_hash TEXT UNIQUE,
  id_tail TEXT NOT NULL DEFAULT '',
  phone_enc TEXT NOT NULL DEFAULT '',
  phone_hash TEXT NOT NULL DEFAULT '',
  region_code TEXT COLLATE "C" NOT NULL,
  address TEXT NOT NULL DEFAULT '',
  industries TEXT NOT NULL DEFAULT '',
  scale_mu BIGINT NOT NULL DEFAULT 0,
  scale_head BIGINT NOT NULL DEFAULT 0,
  households_led INTEGER NOT NULL DEFAULT 0,
  lng DOUBLE PRECISION NOT NULL DEFAULT 0,
  lat DOUBLE PRECISION NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'active',
  established_on TEXT NOT NULL DEFAULT '',
  registered_on TEXT NOT NULL DEFAULT '',
  note TEXT NOT NULL DEFAULT '',
  deactivate_reason TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX subjects_region ON subjects(region_code, id);
CREATE INDEX subjects_kind ON subjects(kind, region_code);
CREATE INDEX subjects_name ON subjects(name);
CREATE INDEX subjects_phone ON subjects(phone_hash);
CREATE INDEX subjects_tail ON subjects(id_tail);
CREATE TABLE household_members (
  id BIGINT PRIMARY KEY,
  subject_id BIGINT NOT NULL REFERENCES subjects(id),
  name TEXT NOT NULL,
  relation TEXT NOT NULL DEFAULT '',
  id_enc TEXT NOT NULL DEFAULT '',
  id_hash TEXT UNIQUE,
  gender TEXT NOT NULL DEFAULT '',
  birth_date TEXT NOT NULL DEFAULT '',
  phone_enc TEXT NOT NULL DEFAULT '',
  note TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX household_members_subject ON household_members(subject_id);
CREATE TABLE plots (
  id BIGINT PRIMARY KEY,
  subject_id BIGINT NOT NULL REFERENCES subjects(id),
  county_code TEXT COLLATE "C" NOT NULL,
  region_code TEXT COLLATE "C" NOT NULL,
  name TEXT NOT NULL,
  crop TEXT NOT NULL DEFAULT '',
  area BIGINT NOT NULL,
  polygon TEXT NOT NULL DEFAULT '',
  polygon_area BIGINT NOT NULL DEFAULT 0,
  lng DOUBLE PRECISION NOT NULL DEFAULT 0,
  lat DOUBLE PRECISION NOT NULL DEFAULT 0,
  note TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'active',
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,
  UNIQUE (subject_id, name)
);
CREATE INDEX plots_region ON plots(region_code);
