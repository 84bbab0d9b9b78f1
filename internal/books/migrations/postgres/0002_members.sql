-- 成员账户 (member accounts), 盈余分配 (surplus distributions), the share register (股金登记, 交叉入股/合股联营),
-- voucher attachments (scans, stored in the database like the platform's other uploads), staged opening balances,
-- and 示范社 (exemplary cooperative) applications, scores and annual monitoring.
CREATE TABLE books_members (
  id BIGINT PRIMARY KEY,
  book_id BIGINT NOT NULL REFERENCES books(id),
  no INTEGER NOT NULL,
  name TEXT NOT NULL,
  subject_id BIGINT NOT NULL DEFAULT 0,
  joined_on TEXT COLLATE "C" NOT NULL,
  status TEXT NOT NULL DEFAULT 'active',
  note TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  UNIQUE (book_id, no)
);
CREATE TABLE books_member_entries (
  id BIGINT PRIMARY KEY,
  book_id BIGINT NOT NULL REFERENCES books(id),
  member_id BIGINT NOT NULL REFERENCES books_members(id),
  entry_date TEXT COLLATE "C" NOT NULL,
  year INTEGER NOT NULL,
  kind TEXT NOT NULL,
  quantity BIGINT NOT NULL DEFAULT 0,
  unit TEXT NOT NULL DEFAULT '',
  amount BIGINT NOT NULL DEFAULT 0,
  voucher_id BIGINT NOT NULL DEFAULT 0,
  ref_id BIGINT NOT NULL DEFAULT 0,
  memo TEXT NOT NULL DEFAULT '',
  created_by_name TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX books_member_entries_member ON books_member_entries(book_id, member_id, entry_date);
CREATE INDEX books_member_entries_year ON books_member_entries(book_id, year, kind);
CREATE TABLE books_distributions (
  id BIGINT PRIMARY KEY,
  book_id BIGINT NOT NULL REFERENCES books(id),
  year INTEGER NOT NULL,
  undistributed BIGINT NOT NULL,
  reserve BIGINT NOT NULL,
  distributable BIGINT NOT NULL,
  by_volume BIGINT NOT NULL,
  by_shares BIGINT NOT NULL,
  carry_voucher_id BIGINT NOT NULL DEFAULT 0,
  voucher_id BIGINT NOT NULL,
  made_by_name TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  UNIQUE (book_id, year)
);
CREATE TABLE books_shares (
  id BIGINT PRIMARY KEY,
  book_id BIGINT NOT NULL REFERENCES books(id),
  member_id BIGINT NOT NULL REFERENCES books_members(id),
  contributed_on TEXT COLLATE "C" NOT NULL,
  asset_kind TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  valuation_basis TEXT NOT NULL DEFAULT '',
  amount BIGINT NOT NULL,
  shares BIGINT NOT NULL,
  voucher_id BIGINT NOT NULL DEFAULT 0,
  created_by_name TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX books_shares_book ON books_shares(book_id, member_id);
CREATE TABLE books_share_transfers (
  id BIGINT PRIMARY KEY,
  book_id BIGINT NOT NULL REFERENCES books(id),
  from_member BIGINT NOT NULL REFERENCES books_members(id),
  to_member BIGINT NOT NULL REFERENCES books_members(id),
  transfer_date TEXT COLLATE "C" NOT NULL,
  shares BIGINT NOT NULL,
  amount BIGINT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  created_by_name TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE books_attachments (
  id BIGINT PRIMARY KEY,
  book_id BIGINT NOT NULL REFERENCES books(id),
  voucher_id BIGINT NOT NULL REFERENCES books_vouchers(id),
  file_name TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  data BYTEA NOT NULL,
  uploaded_by_name TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX books_attachments_voucher ON books_attachments(voucher_id);
CREATE TABLE books_opening (
  book_id BIGINT NOT NULL REFERENCES books(id),
  account_code TEXT COLLATE "C" NOT NULL,
  debit BIGINT NOT NULL DEFAULT 0,
  credit BIGINT NOT NULL DEFAULT 0,
  updated_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (book_id, account_code)
);
CREATE TABLE coop_exemplary (
  id BIGINT PRIMARY KEY,
  county_code TEXT COLLATE "C" NOT NULL,
  subject_id BIGINT NOT NULL,
  name TEXT NOT NULL,
  region_code TEXT COLLATE "C" NOT NULL,
  year INTEGER NOT NULL,
  level TEXT NOT NULL,
  status TEXT NOT NULL,
  figures TEXT NOT NULL DEFAULT '{}',
  score INTEGER NOT NULL DEFAULT 0,
  awarded_on TEXT NOT NULL DEFAULT '',
  decided_by_name TEXT NOT NULL DEFAULT '',
  note TEXT NOT NULL DEFAULT '',
  created_by_name TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,
  UNIQUE (subject_id, year, level)
);
CREATE INDEX coop_exemplary_region ON coop_exemplary(region_code, status, level);
CREATE TABLE coop_exemplary_scores (
  app_id BIGINT NOT NULL REFERENCES coop_exemplary(id),
  indicator TEXT NOT NULL,
  score INTEGER NOT NULL,
  evaluator_name TEXT NOT NULL,
  scored_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (app_id, indicator)
);
CREATE TABLE coop_exemplary_monitoring (
  app_id BIGINT NOT NULL REFERENCES coop_exemplary(id),
  year INTEGER NOT NULL,
  result TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  by_name TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (app_id, year)
);
