-- 农合联 (federations), governance and membership. Counts are never stored: they are COUNT queries.
CREATE TABLE federations (
  id BIGINT PRIMARY KEY,
  county_code TEXT COLLATE "C" NOT NULL,
  code TEXT COLLATE "C" NOT NULL,
  name TEXT NOT NULL,
  level TEXT NOT NULL,
  region_code TEXT COLLATE "C" NOT NULL,
  industry TEXT NOT NULL DEFAULT '',
  guided_by BIGINT REFERENCES federations(id),
  secretariat_subject_id BIGINT NOT NULL DEFAULT 0,
  secretariat_name TEXT NOT NULL DEFAULT '',
  president_name TEXT NOT NULL DEFAULT '',
  president_subject_id BIGINT NOT NULL DEFAULT 0,
  established_on TEXT NOT NULL DEFAULT '',
  address TEXT NOT NULL DEFAULT '',
  phone TEXT NOT NULL DEFAULT '',
  note TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'active',
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,
  UNIQUE (county_code, code),
  UNIQUE (county_code, name)
);
CREATE INDEX federations_level ON federations(county_code, level);
CREATE TABLE federation_regions (
  federation_id BIGINT NOT NULL REFERENCES federations(id),
  region_code TEXT COLLATE "C" NOT NULL,
  sort INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (federation_id, region_code)
);
CREATE INDEX federation_regions_region ON federation_regions(region_code);
CREATE TABLE governance_bodies (
  id BIGINT PRIMARY KEY,
  federation_id BIGINT NOT NULL REFERENCES federations(id),
  kind TEXT NOT NULL,
  term_no INTEGER NOT NULL,
  term_start TEXT NOT NULL DEFAULT '',
  term_end TEXT NOT NULL DEFAULT '',
  note TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  UNIQUE (federation_id, kind, term_no)
);
CREATE TABLE governance_posts (
  id BIGINT PRIMARY KEY,
  federation_id BIGINT NOT NULL REFERENCES federations(id),
  body_id BIGINT NOT NULL REFERENCES governance_bodies(id),
  title TEXT NOT NULL,
  holder_name TEXT NOT NULL,
  holder_subject_id BIGINT NOT NULL DEFAULT 0,
  term_start TEXT NOT NULL DEFAULT '',
  term_end TEXT NOT NULL DEFAULT '',
  note TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX governance_posts_body ON governance_posts(body_id);
CREATE TABLE governance_meetings (
  id BIGINT PRIMARY KEY,
  federation_id BIGINT NOT NULL REFERENCES federations(id),
  body_id BIGINT NOT NULL REFERENCES governance_bodies(id),
  held_on TEXT NOT NULL,
  title TEXT NOT NULL,
  agenda TEXT NOT NULL DEFAULT '',
  attendees TEXT NOT NULL DEFAULT '',
  present INTEGER NOT NULL DEFAULT 0,
  expected INTEGER NOT NULL DEFAULT 0,
  minutes TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX governance_meetings_fed ON governance_meetings(federation_id, held_on);
CREATE TABLE charters (
  id BIGINT PRIMARY KEY,
  federation_id BIGINT NOT NULL REFERENCES federations(id),
  version INTEGER NOT NULL,
  adopted_on TEXT NOT NULL,
  body TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  UNIQUE (federation_id, version)
);
CREATE TABLE memberships (
  id BIGINT PRIMARY KEY,
  federation_id BIGINT NOT NULL REFERENCES federations(id),
  county_code TEXT COLLATE "C" NOT NULL,
  subject_id BIGINT NOT NULL REFERENCES subjects(id),
  subject_kind TEXT NOT NULL,
  region_code TEXT COLLATE "C" NOT NULL,
  township_code TEXT COLLATE "C" NOT NULL,
  status TEXT NOT NULL,
  member_no TEXT COLLATE "C",
  member_seq INTEGER NOT NULL DEFAULT 0,
  note TEXT NOT NULL DEFAULT '',
  on_behalf BOOLEAN NOT NULL DEFAULT FALSE,
  applied_by BIGINT NOT NULL DEFAULT 0,
  applied_by_name TEXT NOT NULL DEFAULT '',
  applied_at TIMESTAMPTZ NOT NULL,
  decided_at TIMESTAMPTZ,
  decided_by_name TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  updated_at TIMESTAMPTZ NOT NULL,
  UNIQUE (federation_id, member_no)
);
CREATE UNIQUE INDEX memberships_open ON memberships(federation_id, subject_id) WHERE status IN ('applied', 'approved');
CREATE INDEX memberships_fed_status ON memberships(federation_id, status, subject_kind);
CREATE INDEX memberships_subject ON memberships(subject_id);
CREATE INDEX memberships_county ON memberships(county_code, status);
CREATE TABLE membership_events (
  id BIGINT PRIMARY KEY,
  membership_id BIGINT NOT NULL REFERENCES memberships(id),
  federation_id BIGINT NOT NULL,
  at TIMESTAMPTZ NOT NULL,
  actor_id BIGINT NOT NULL DEFAULT 0,
  actor_name TEXT NOT NULL DEFAULT '',
  from_status TEXT NOT NULL DEFAULT '',
  to_status TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  on_behalf BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX membership_events_membership ON membership_events(membership_id, at);
