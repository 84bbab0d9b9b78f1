-- Credit room: consents (征信授权) with scans of signed paper forms, reads of credit files, loan products (一业一贷),
-- loans, their schedules, repayments/draws and status events. Credit files are assembled live, never stored.
CREATE TABLE consent_scans (
  id BIGINT PRIMARY KEY,
  file_name TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  data BYTEA NOT NULL,
  created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE consents (
  id BIGINT PRIMARY KEY,
  county_code TEXT COLLATE "C" NOT NULL,
  region_code TEXT COLLATE "C" NOT NULL,
  subject_id BIGINT NOT NULL REFERENCES subjects(id),
  institution_id BIGINT NOT NULL REFERENCES subjects(id),
  purpose TEXT NOT NULL,
  valid_from TEXT NOT NULL,
  valid_to TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'active',
  on_behalf BOOLEAN NOT NULL DEFAULT FALSE,
  scan_id BIGINT REFERENCES consent_scans(id),
  note TEXT NOT NULL DEFAULT '',
  created_by BIGINT NOT NULL DEFAULT 0,
  created_by_name TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  revoked_at TIMESTAMPTZ,
  revoked_by_name TEXT NOT NULL DEFAULT '',
  revoke_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX consents_subject ON consents(subject_id, institution_id);
CREATE INDEX consents_institution ON consents(institution_id, subject_id);
CREATE INDEX consents_region ON consents(region_code, id);
CREATE TABLE credit_file_reads (
  id BIGINT PRIMARY KEY,
  subject_id BIGINT NOT NULL REFERENCES subjects(id),
  institution_id BIGINT NOT NULL DEFAULT 0,
  consent_id BIGINT NOT NULL DEFAULT 0,
  user_id BIGINT NOT NULL DEFAULT 0,
  user_name TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL DEFAULT '',
  at TIMESTAMPTZ NOT NULL
);
CREATE INDEX credit_file_reads_subject ON credit_file_reads(subject_id, at);
CREATE TABLE loan_products (
  id BIGINT PRIMARY KEY,
  county_code TEXT COLLATE "C" NOT NULL,
  institution_id BIGINT NOT NULL REFERENCES subjects(id),
  name TEXT NOT NULL,
  industry TEXT NOT NULL DEFAULT '',
  loan_type TEXT NOT NULL,
  collateral TEXT NOT NULL DEFAULT '',
  amount_min BIGINT NOT NULL,
  amount_max BIGINT NOT NULL,
  term_min INTEGER NOT NULL,
  term_max INTEGER NOT NULL,
  rate_bp INTEGER NOT NULL,
  rate_max_bp INTEGER NOT NULL,
  method TEXT NOT NULL,
  industries TEXT NOT NULL DEFAULT '',
  regions TEXT NOT NULL DEFAULT '',
  kinds TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'active',
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,
  UNIQUE (institution_id, name)
);
CREATE TABLE loans (
  id BIGINT PRIMARY KEY,
  county_code TEXT COLLATE "C" NOT NULL,
  region_code TEXT COLLATE "C" NOT NULL,
  subject_id BIGINT NOT NULL REFERENCES subjects(id),
  product_id BIGINT NOT NULL REFERENCES loan_products(id),
  institution_id BIGINT NOT NULL REFERENCES subjects(id),
  consent_id BIGINT NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  requested_amount BIGINT NOT NULL,
  requested_months INTEGER NOT NULL,
  purpose TEXT NOT NULL DEFAULT '',
  amount BIGINT NOT NULL DEFAULT 0,
  rate_bp INTEGER NOT NULL DEFAULT 0,
  months INTEGER NOT NULL DEFAULT 0,
  method TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  disbursed_on TEXT NOT NULL DEFAULT '',
  maturity_on TEXT NOT NULL DEFAULT '',
  closed_on TEXT NOT NULL DEFAULT '',
  on_behalf BOOLEAN NOT NULL DEFAULT FALSE,
  applied_by BIGINT NOT NULL DEFAULT 0,
  applied_by_name TEXT NOT NULL DEFAULT '',
  applied_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX loans_institution ON loans(institution_id, status, id);
CREATE INDEX loans_subject ON loans(subject_id, id);
CREATE INDEX loans_region ON loans(region_code, id);
CREATE TABLE loan_installments (
  loan_id BIGINT NOT NULL REFERENCES loans(id),
  no INTEGER NOT NULL,
  due_on TEXT NOT NULL,
  principal BIGINT NOT NULL,
  interest BIGINT NOT NULL,
  paid_principal BIGINT NOT NULL DEFAULT 0,
  paid_interest BIGINT NOT NULL DEFAULT 0,
  paid_on TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (loan_id, no)
);
CREATE TABLE loan_moves (
  id BIGINT PRIMARY KEY,
  loan_id BIGINT NOT NULL REFERENCES loans(id),
  kind TEXT NOT NULL,
  on_date TEXT NOT NULL,
  amount BIGINT NOT NULL,
  to_overdue_interest BIGINT NOT NULL DEFAULT 0,
  to_interest BIGINT NOT NULL DEFAULT 0,
  to_principal BIGINT NOT NULL DEFAULT 0,
  created_by_name TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX loan_moves_loan ON loan_moves(loan_id, on_date, id);
CREATE TABLE loan_events (
  id BIGINT PRIMARY KEY,
  loan_id BIGINT NOT NULL REFERENCES loans(id),
  at TIMESTAMPTZ NOT NULL,
  actor_id BIGINT NOT NULL DEFAULT 0,
  actor_name TEXT NOT NULL DEFAULT '',
  from_status TEXT NOT NULL DEFAULT '',
  to_status TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX loan_events_loan ON loan_events(loan_id, at);
