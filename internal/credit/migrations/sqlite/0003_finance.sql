-- Credit room, supply-chain and policy finance: 政府性融资担保 on loans, insurance products, policies and claims,
-- pledges (质押) of order contracts or receivables to one loan, and 贴息 rules per county and year.
CREATE TABLE guarantees (
  id INTEGER PRIMARY KEY,
  county_code TEXT NOT NULL,
  region_code TEXT NOT NULL,
  loan_id BIGINT NOT NULL REFERENCES loans(id),
  guarantor_id BIGINT NOT NULL REFERENCES subjects(id),
  amount_fen BIGINT NOT NULL,
  fee_bp INTEGER NOT NULL DEFAULT 0,
  start_on TEXT NOT NULL,
  end_on TEXT NOT NULL,
  status TEXT NOT NULL,
  compensated_fen BIGINT NOT NULL DEFAULT 0,
  note TEXT NOT NULL DEFAULT '',
  created_by_name TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL
);
CREATE INDEX guarantees_loan ON guarantees(loan_id);
CREATE INDEX guarantees_region ON guarantees(region_code, id);
CREATE TABLE insurance_products (
  id INTEGER PRIMARY KEY,
  county_code TEXT NOT NULL,
  insurer_id BIGINT NOT NULL REFERENCES subjects(id),
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  premium_bp INTEGER NOT NULL,
  subsidy_pct INTEGER NOT NULL DEFAULT 0,
  description TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'active',
  created_at TIMESTAMP NOT NULL,
  UNIQUE (insurer_id, name)
);
CREATE TABLE insurance_policies (
  id INTEGER PRIMARY KEY,
  county_code TEXT NOT NULL,
  region_code TEXT NOT NULL,
  product_id BIGINT NOT NULL REFERENCES insurance_products(id),
  subject_id BIGINT NOT NULL REFERENCES subjects(id),
  policy_no TEXT NOT NULL UNIQUE,
  sum_insured_fen BIGINT NOT NULL,
  premium_fen BIGINT NOT NULL,
  subsidy_fen BIGINT NOT NULL,
  start_on TEXT NOT NULL,
  end_on TEXT NOT NULL,
  status TEXT NOT NULL,
  created_by_name TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL
);
CREATE INDEX insurance_policies_subject ON insurance_policies(subject_id);
CREATE INDEX insurance_policies_region ON insurance_policies(region_code, id);
CREATE TABLE insurance_claims (
  id INTEGER PRIMARY KEY,
  policy_id BIGINT NOT NULL REFERENCES insurance_policies(id),
  reported_on TEXT NOT NULL,
  cause TEXT NOT NULL,
  loss_fen BIGINT NOT NULL,
  paid_fen BIGINT NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  created_by_name TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL
);
CREATE INDEX insurance_claims_policy ON insurance_claims(policy_id);
CREATE TABLE pledges (
  id INTEGER PRIMARY KEY,
  county_code TEXT NOT NULL,
  loan_id BIGINT NOT NULL REFERENCES loans(id),
  contract_id BIGINT NOT NULL,
  contract_no TEXT NOT NULL,
  buyer_name TEXT NOT NULL DEFAULT '',
  product TEXT NOT NULL DEFAULT '',
  receivable_fen BIGINT NOT NULL,
  status TEXT NOT NULL,
  pledged_by_name TEXT NOT NULL DEFAULT '',
  pledged_at TIMESTAMP NOT NULL,
  released_at TIMESTAMP
);
CREATE UNIQUE INDEX pledges_live_contract ON pledges(contract_id) WHERE status = 'live';
CREATE INDEX pledges_loan ON pledges(loan_id);
CREATE TABLE subsidy_rules (
  id INTEGER PRIMARY KEY,
  county_code TEXT NOT NULL,
  year INTEGER NOT NULL,
  share_pct INTEGER NOT NULL,
  cap_fen BIGINT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  created_by_name TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL,
  UNIQUE (county_code, year)
);
