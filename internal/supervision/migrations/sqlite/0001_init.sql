-- Supervision room (督办): the plan's structure (units, work items, 附件1, 附件2 tasks), progress reports with
-- attachments, observed status changes, 督办 notices, and the special funds (专项资金). Money in integer 分.
CREATE TABLE sup_units (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  org_name TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL DEFAULT 'other',
  aliases TEXT NOT NULL DEFAULT '',
  note TEXT NOT NULL DEFAULT '',
  subject_id BIGINT NOT NULL DEFAULT 0,
  sort INTEGER NOT NULL DEFAULT 0,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);
CREATE TABLE sup_unit_users (
  unit_id BIGINT NOT NULL REFERENCES sup_units(id),
  user_id BIGINT NOT NULL,
  PRIMARY KEY (unit_id, user_id)
);
CREATE INDEX sup_unit_users_user ON sup_unit_users(user_id);
CREATE TABLE sup_items (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  no INTEGER NOT NULL,
  category TEXT NOT NULL DEFAULT '',
  title TEXT NOT NULL,
  targets TEXT NOT NULL DEFAULT '',
  kpis TEXT NOT NULL DEFAULT '',
  townships BOOLEAN NOT NULL DEFAULT FALSE,
  coop_etc BOOLEAN NOT NULL DEFAULT FALSE,
  note TEXT NOT NULL DEFAULT '',
  UNIQUE (kind, no)
);
CREATE TABLE sup_tasks (
  id INTEGER PRIMARY KEY,
  no INTEGER NOT NULL UNIQUE,
  area TEXT NOT NULL,
  matter TEXT NOT NULL,
  text TEXT NOT NULL,
  kpi_key TEXT NOT NULL DEFAULT '',
  target REAL NOT NULL DEFAULT 0,
  start_on TEXT NOT NULL,
  due_on TEXT NOT NULL,
  townships BOOLEAN NOT NULL DEFAULT FALSE,
  coop_etc BOOLEAN NOT NULL DEFAULT FALSE,
  note TEXT NOT NULL DEFAULT '',
  updated_at TIMESTAMP NOT NULL
);
-- role: lead 责任单位 / coop 配合单位; owner_kind: task, work (the 18 items), major (附件1)
CREATE TABLE sup_links (
  owner_kind TEXT NOT NULL,
  owner_id BIGINT NOT NULL,
  unit_id BIGINT NOT NULL REFERENCES sup_units(id),
  role TEXT NOT NULL,
  sort INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (owner_kind, owner_id, unit_id, role)
);
CREATE INDEX sup_links_unit ON sup_links(unit_id);
CREATE TABLE sup_reports (
  id INTEGER PRIMARY KEY,
  task_id BIGINT NOT NULL REFERENCES sup_tasks(id),
  unit_id BIGINT NOT NULL REFERENCES sup_units(id),
  kind TEXT NOT NULL,
  period TEXT NOT NULL,
  narrative TEXT NOT NULL,
  progress_pct INTEGER NOT NULL DEFAULT 0,
  figures TEXT NOT NULL DEFAULT '[]',
  done BOOLEAN NOT NULL DEFAULT FALSE,
  user_id BIGINT NOT NULL DEFAULT 0,
  user_name TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL
);
CREATE INDEX sup_reports_task ON sup_reports(task_id, created_at);
CREATE INDEX sup_reports_created ON sup_reports(created_at);
CREATE TABLE sup_files (
  id INTEGER PRIMARY KEY,
  owner_kind TEXT NOT NULL,
  owner_id BIGINT NOT NULL,
  name TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  data BLOB NOT NULL,
  user_id BIGINT NOT NULL DEFAULT 0,
  created_at TIMESTAMP NOT NULL
);
CREATE INDEX sup_files_owner ON sup_files(owner_kind, owner_id);
CREATE TABLE sup_status_log (
  id INTEGER PRIMARY KEY,
  task_id BIGINT NOT NULL REFERENCES sup_tasks(id),
  status TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  observed_at TIMESTAMP NOT NULL
);
CREATE INDEX sup_status_log_task ON sup_status_log(task_id, observed_at);
CREATE INDEX sup_status_log_at ON sup_status_log(observed_at);
CREATE TABLE sup_kpi_snapshots (
  kpi_key TEXT NOT NULL,
  day TEXT NOT NULL,
  actual REAL NOT NULL,
  PRIMARY KEY (kpi_key, day)
);
CREATE TABLE sup_notices (
  id INTEGER PRIMARY KEY,
  no TEXT NOT NULL UNIQUE,
  task_id BIGINT NOT NULL REFERENCES sup_tasks(id),
  unit_id BIGINT NOT NULL REFERENCES sup_units(id),
  body TEXT NOT NULL,
  deadline TEXT NOT NULL,
  issued_by BIGINT NOT NULL DEFAULT 0,
  issued_by_name TEXT NOT NULL DEFAULT '',
  issued_at TIMESTAMP NOT NULL,
  answer TEXT NOT NULL DEFAULT '',
  answered_by_name TEXT NOT NULL DEFAULT '',
  answered_at TIMESTAMP
);
CREATE INDEX sup_notices_unit ON sup_notices(unit_id);
CREATE INDEX sup_notices_task ON sup_notices(task_id);
CREATE TABLE sup_funds (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL UNIQUE,
  category TEXT NOT NULL,
  unit_id BIGINT NOT NULL DEFAULT 0,
  region_code TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL
);
CREATE TABLE sup_budgets (
  id INTEGER PRIMARY KEY,
  fund_id BIGINT NOT NULL REFERENCES sup_funds(id),
  year INTEGER NOT NULL,
  purpose TEXT NOT NULL,
  amount_fen BIGINT NOT NULL,
  allocated_fen BIGINT NOT NULL DEFAULT 0,
  created_at TIMESTAMP NOT NULL,
  UNIQUE (fund_id, year, purpose),
  CHECK (allocated_fen <= amount_fen)
);
CREATE TABLE sup_allocations (
  id INTEGER PRIMARY KEY,
  budget_id BIGINT NOT NULL REFERENCES sup_budgets(id),
  unit_id BIGINT NOT NULL REFERENCES sup_units(id),
  task_id BIGINT REFERENCES sup_tasks(id),
  project TEXT NOT NULL,
  region_code TEXT NOT NULL,
  amount_fen BIGINT NOT NULL,
  disbursed_fen BIGINT NOT NULL DEFAULT 0,
  allocated_on TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL,
  CHECK (disbursed_fen <= amount_fen)
);
CREATE INDEX sup_allocations_budget ON sup_allocations(budget_id);
CREATE TABLE sup_disbursements (
  id INTEGER PRIMARY KEY,
  allocation_id BIGINT NOT NULL REFERENCES sup_allocations(id),
  voucher_no TEXT NOT NULL UNIQUE,
  amount_fen BIGINT NOT NULL,
  paid_on TEXT NOT NULL,
  payee TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  user_name TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL
);
CREATE INDEX sup_disbursements_alloc ON sup_disbursements(allocation_id);
CREATE INDEX sup_disbursements_paid ON sup_disbursements(paid_on);
