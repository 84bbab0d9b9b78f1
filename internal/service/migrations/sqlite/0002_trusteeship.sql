-- 服务主体 (providers), their machines and staff, 生产托管 orders, their jobs and steps, work tracks, dispatch runs,
-- and 高素质农民培育 training.
CREATE TABLE service_providers (
  id INTEGER PRIMARY KEY,
  county_code TEXT NOT NULL,
  subject_id BIGINT NOT NULL,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  region_code TEXT NOT NULL,
  founded_year INTEGER NOT NULL DEFAULT 0,
  services TEXT NOT NULL DEFAULT '',
  townships TEXT NOT NULL DEFAULT '',
  contact TEXT NOT NULL DEFAULT '',
  phone TEXT NOT NULL DEFAULT '',
  listed BOOLEAN NOT NULL DEFAULT FALSE,
  status TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  UNIQUE (county_code, name)
);
CREATE INDEX service_providers_region ON service_providers(region_code);
CREATE INDEX service_providers_subject ON service_providers(subject_id);
CREATE TABLE service_provider_staff (
  id INTEGER PRIMARY KEY,
  provider_id BIGINT NOT NULL REFERENCES service_providers(id),
  name TEXT NOT NULL,
  duty TEXT NOT NULL DEFAULT '',
  phone TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL
);
CREATE INDEX service_provider_staff_provider ON service_provider_staff(provider_id);
CREATE TABLE service_machines (
  id INTEGER PRIMARY KEY,
  provider_id BIGINT NOT NULL REFERENCES service_providers(id),
  county_code TEXT NOT NULL,
  region_code TEXT NOT NULL,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  services TEXT NOT NULL,
  implement TEXT NOT NULL DEFAULT '',
  width_cm INTEGER NOT NULL DEFAULT 0,
  rate_centi BIGINT NOT NULL,
  hours_day INTEGER NOT NULL DEFAULT 8,
  base_lng REAL NOT NULL,
  base_lat REAL NOT NULL,
  operator TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  UNIQUE (provider_id, name)
);
CREATE INDEX service_machines_region ON service_machines(region_code, status);
CREATE TABLE service_orders (
  id INTEGER PRIMARY KEY,
  county_code TEXT NOT NULL,
  subject_id BIGINT NOT NULL,
  region_code TEXT NOT NULL,
  provider_id BIGINT NOT NULL DEFAULT 0,
  scope TEXT NOT NULL,
  mode TEXT NOT NULL,
  contract_ref TEXT NOT NULL DEFAULT '',
  services TEXT NOT NULL,
  status TEXT NOT NULL,
  subsidy_fen_mu BIGINT NOT NULL DEFAULT 0,
  amount_fen BIGINT NOT NULL DEFAULT 0,
  subsidy_fen BIGINT NOT NULL DEFAULT 0,
  payable_fen BIGINT NOT NULL DEFAULT 0,
  proxy BOOLEAN NOT NULL DEFAULT FALSE,
  note TEXT NOT NULL DEFAULT '',
  dispute TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  settled_on TEXT NOT NULL DEFAULT ''
);
CREATE INDEX service_orders_region ON service_orders(region_code, status);
CREATE INDEX service_orders_subject ON service_orders(subject_id);
CREATE INDEX service_orders_provider ON service_orders(provider_id);
CREATE TABLE service_jobs (
  id INTEGER PRIMARY KEY,
  order_id BIGINT NOT NULL REFERENCES service_orders(id),
  county_code TEXT NOT NULL,
  region_code TEXT NOT NULL,
  subject_id BIGINT NOT NULL,
  provider_id BIGINT NOT NULL DEFAULT 0,
  mode TEXT NOT NULL,
  plot_id BIGINT NOT NULL,
  plot_name TEXT NOT NULL,
  lng REAL NOT NULL,
  lat REAL NOT NULL,
  service TEXT NOT NULL,
  area_centi BIGINT NOT NULL,
  price_fen BIGINT NOT NULL,
  window_from TEXT NOT NULL,
  window_to TEXT NOT NULL,
  status TEXT NOT NULL,
  machine_id BIGINT NOT NULL DEFAULT 0,
  plan_day TEXT NOT NULL DEFAULT '',
  plan_start INTEGER NOT NULL DEFAULT 0,
  plan_end INTEGER NOT NULL DEFAULT 0,
  locked BOOLEAN NOT NULL DEFAULT FALSE,
  reported_centi BIGINT NOT NULL DEFAULT 0,
  track_centi BIGINT NOT NULL DEFAULT 0,
  track_flag BOOLEAN NOT NULL DEFAULT FALSE,
  accepted_centi BIGINT NOT NULL DEFAULT 0,
  done_on TEXT NOT NULL DEFAULT ''
);
CREATE INDEX service_jobs_order ON service_jobs(order_id);
CREATE INDEX service_jobs_region ON service_jobs(region_code, status);
CREATE INDEX service_jobs_done ON service_jobs(done_on, region_code);
CREATE INDEX service_jobs_provider ON service_jobs(provider_id, status);
CREATE TABLE service_order_steps (
  id INTEGER PRIMARY KEY,
  order_id BIGINT NOT NULL REFERENCES service_orders(id),
  job_id BIGINT NOT NULL DEFAULT 0,
  action TEXT NOT NULL,
  from_status TEXT NOT NULL,
  to_status TEXT NOT NULL,
  actor_id BIGINT NOT NULL DEFAULT 0,
  actor_name TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  at TIMESTAMP NOT NULL
);
CREATE INDEX service_order_steps_order ON service_order_steps(order_id);
CREATE TABLE service_tracks (
  id INTEGER PRIMARY KEY,
  job_id BIGINT NOT NULL REFERENCES service_jobs(id),
  format TEXT NOT NULL,
  method TEXT NOT NULL,
  points INTEGER NOT NULL,
  length_m BIGINT NOT NULL DEFAULT 0,
  width_cm INTEGER NOT NULL DEFAULT 0,
  area_centi BIGINT NOT NULL,
  geometry TEXT NOT NULL,
  created_at TIMESTAMP NOT NULL
);
CREATE INDEX service_tracks_job ON service_tracks(job_id);
CREATE TABLE service_dispatch_runs (
  id INTEGER PRIMARY KEY,
  county_code TEXT NOT NULL,
  region_code TEXT NOT NULL,
  provider_id BIGINT NOT NULL DEFAULT 0,
  date_from TEXT NOT NULL,
  days INTEGER NOT NULL,
  placed INTEGER NOT NULL,
  unplaced INTEGER NOT NULL,
  travel_m BIGINT NOT NULL,
  late_days INTEGER NOT NULL,
  elapsed_ms BIGINT NOT NULL,
  unplaced_json TEXT NOT NULL,
  actor_name TEXT NOT NULL,
  created_at TIMESTAMP NOT NULL
);
CREATE INDEX service_dispatch_runs_region ON service_dispatch_runs(region_code, created_at);
CREATE TABLE training_sessions (
  id INTEGER PRIMARY KEY,
  county_code TEXT NOT NULL,
  region_code TEXT NOT NULL,
  course TEXT NOT NULL,
  topic TEXT NOT NULL DEFAULT '',
  trainer TEXT NOT NULL,
  place TEXT NOT NULL,
  date_from TEXT NOT NULL,
  date_to TEXT NOT NULL,
  hours INTEGER NOT NULL DEFAULT 0,
  created_at TIMESTAMP NOT NULL
);
CREATE INDEX training_sessions_region ON training_sessions(region_code, date_to);
CREATE TABLE training_enrolments (
  id INTEGER PRIMARY KEY,
  session_id BIGINT NOT NULL REFERENCES training_sessions(id),
  subject_id BIGINT NOT NULL,
  person_key TEXT NOT NULL,
  name TEXT NOT NULL,
  region_code TEXT NOT NULL,
  attended BOOLEAN NOT NULL DEFAULT FALSE,
  certificate_no TEXT NOT NULL DEFAULT '',
  date_to TEXT NOT NULL,
  created_at TIMESTAMP NOT NULL,
  UNIQUE (session_id, person_key)
);
CREATE INDEX training_enrolments_region ON training_enrolments(region_code, attended, date_to);
CREATE INDEX training_enrolments_subject ON training_enrolments(subject_id);
