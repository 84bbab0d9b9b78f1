-- 统一财务代账: organisations under bookkeeping service, their sub-accounts, vouchers and lines, closed periods.
-- Balances are never stored: every report sums the lines of posted vouchers.
CREATE TABLE books (
  id INTEGER PRIMARY KEY,
  county_code TEXT NOT NULL,
  subject_id BIGINT NOT NULL,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  region_code TEXT NOT NULL,
  chart TEXT NOT NULL,
  start_period TEXT NOT NULL,
  bookkeeper_id BIGINT NOT NULL DEFAULT 0,
  bookkeeper_name TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'active',
  note TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  UNIQUE (subject_id)
);
CREATE INDEX books_region ON books(region_code);
CREATE INDEX books_county ON books(county_code, name);
CREATE TABLE books_accounts (
  book_id BIGINT NOT NULL REFERENCES books(id),
  code TEXT NOT NULL,
  name TEXT NOT NULL,
  parent_code TEXT NOT NULL,
  member_id BIGINT NOT NULL DEFAULT 0,
  created_at TIMESTAMP NOT NULL,
  PRIMARY KEY (book_id, code)
);
CREATE TABLE books_vouchers (
  id INTEGER PRIMARY KEY,
  book_id BIGINT NOT NULL REFERENCES books(id),
  period TEXT NOT NULL,
  voucher_date TEXT NOT NULL,
  number INTEGER,
  summary TEXT NOT NULL,
  status TEXT NOT NULL,
  kind TEXT NOT NULL DEFAULT 'normal',
  reverses_id BIGINT NOT NULL DEFAULT 0,
  reversed_by_id BIGINT NOT NULL DEFAULT 0,
  attachments INTEGER NOT NULL DEFAULT 0,
  debit_total BIGINT NOT NULL,
  credit_total BIGINT NOT NULL,
  maker_id BIGINT NOT NULL,
  maker_name TEXT NOT NULL,
  made_at TIMESTAMP NOT NULL,
  reviewer_id BIGINT NOT NULL DEFAULT 0,
  reviewer_name TEXT NOT NULL DEFAULT '',
  reviewed_at TIMESTAMP,
  poster_id BIGINT NOT NULL DEFAULT 0,
  poster_name TEXT NOT NULL DEFAULT '',
  posted_at TIMESTAMP,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  UNIQUE (book_id, period, number)
);
CREATE INDEX books_vouchers_book ON books_vouchers(book_id, period, status);
CREATE TABLE books_lines (
  voucher_id BIGINT NOT NULL REFERENCES books_vouchers(id),
  line_no INTEGER NOT NULL,
  book_id BIGINT NOT NULL,
  period TEXT NOT NULL,
  account_code TEXT NOT NULL,
  debit BIGINT NOT NULL DEFAULT 0,
  credit BIGINT NOT NULL DEFAULT 0,
  memo TEXT NOT NULL DEFAULT '',
  member_id BIGINT NOT NULL DEFAULT 0,
  member_name TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (voucher_id, line_no)
);
CREATE INDEX books_lines_report ON books_lines(book_id, period, account_code);
CREATE TABLE books_closes (
  book_id BIGINT NOT NULL REFERENCES books(id),
  period TEXT NOT NULL,
  closed_at TIMESTAMP NOT NULL,
  closed_by_id BIGINT NOT NULL,
  closed_by_name TEXT NOT NULL,
  PRIMARY KEY (book_id, period)
);
