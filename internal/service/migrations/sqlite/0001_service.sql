-- 社会化服务: service carriers, the county's catalog overrides, 签约服务 contracts, requests and their steps.
CREATE TABLE service_centers (
  id INTEGER PRIMARY KEY,
  county_code TEXT NOT NULL,
  level TEXT NOT NULL,
  name TEXT NOT NULL,
  host_id BIGINT NOT NULL DEFAULT 0,
  collective_id BIGINT NOT NULL DEFAULT 0,
  strong_village BOOLEAN NOT NULL DEFAULT 0,
  region_code TEXT NOT NULL,
  lng REAL NOT NULL DEFAULT 0,
  lat REAL NOT NULL DEFAULT 0,
  staff INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  services TEXT NOT NULL DEFAULT '',
  phone TEXT NOT NULL DEFAULT '',
  note TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  UNIQUE (county_code, name)
);
CREATE INDEX service_centers_region ON service_centers(region_code);
CREATE INDEX service_centers_level ON service_centers(level, status, region_code);
CREATE TABLE service_catalog (
  county_code TEXT NOT NULL,
  code TEXT NOT NULL,
  price_fen BIGINT NOT NULL,
  weight_k BIGINT NOT NULL,
  due_hours INTEGER NOT NULL,
  updated_by TEXT NOT NULL DEFAULT '',
  updated_at TIMESTAMP NOT NULL,
  PRIMARY KEY (county_code, code)
);
CREATE TABLE service_contracts (
  id INTEGER PRIMARY KEY,
  county_code TEXT NOT NULL,
  center_id BIGINT NOT NULL REFERENCES service_centers(id),
  center_region TEXT NOT NULL,
  subject_id BIGINT NOT NULL,
  region_code TEXT NOT NULL,
  scope TEXT NOT NULL,
  date_from TEXT NOT NULL,
  date_to TEXT NOT NULL,
  fee_fen BIGINT NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  created_at TIMESTAMP NOT NULL
);
CREATE INDEX service_contracts_force ON service_contracts(status, region_code, date_from, date_to);
CREATE INDEX service_contracts_subject ON service_contracts(subject_id);
CREATE INDEX service_contracts_center ON service_contracts(center_id);
CREATE TABLE service_requests (
  id INTEGER PRIMARY KEY,
  county_code TEXT NOT NULL,
  center_id BIGINT NOT NULL REFERENCES service_centers(id),
  center_region TEXT NOT NULL,
  subject_id BIGINT NOT NULL,
  type TEXT NOT NULL,
  title TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '',
  proxy BOOLEAN NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  filed_at TIMESTAMP NOT NULL,
  due_at TIMESTAMP NOT NULL,
  closed_at TIMESTAMP,
  return_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX service_requests_center ON service_requests(center_id, status);
CREATE INDEX service_requests_region ON service_requests(center_region, status);
CREATE INDEX service_requests_subject ON service_requests(subject_id);
CREATE TABLE service_request_steps (
  request_id BIGINT NOT NULL REFERENCES service_requests(id),
  seq INTEGER NOT NULL,
  action TEXT NOT NULL,
  at TIMESTAMP NOT NULL,
  by_id BIGINT NOT NULL DEFAULT 0,
  by_name TEXT NOT NULL DEFAULT '',
  note TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (request_id, seq)
);
