-- Credit room, rating: model versions (评级模型) as data, 外评 scores of the village rating group, stored ratings
-- (inputs and points per indicator, so they can be explained and reproduced), 整村授信 batches with their per-subject
-- and per-village results, records from other departments and assets (信用档案), and 会员互评.
CREATE TABLE rating_models (
  id BIGINT PRIMARY KEY,
  county_code TEXT COLLATE "C" NOT NULL,
  version INTEGER NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  origin TEXT NOT NULL DEFAULT 'manual',
  definition TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  created_by_name TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  approved_by_name TEXT NOT NULL DEFAULT '',
  approved_at TIMESTAMPTZ,
  UNIQUE (county_code, version)
);
CREATE TABLE external_scores (
  subject_id BIGINT NOT NULL REFERENCES subjects(id),
  period TEXT NOT NULL,
  item_key TEXT NOT NULL,
  region_code TEXT COLLATE "C" NOT NULL,
  points DOUBLE PRECISION NOT NULL,
  rater_name TEXT NOT NULL DEFAULT '',
  scored_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (subject_id, period, item_key)
);
CREATE TABLE ratings (
  id BIGINT PRIMARY KEY,
  county_code TEXT COLLATE "C" NOT NULL,
  region_code TEXT COLLATE "C" NOT NULL,
  subject_id BIGINT NOT NULL REFERENCES subjects(id),
  model_id BIGINT NOT NULL REFERENCES rating_models(id),
  model_version INTEGER NOT NULL,
  batch_id BIGINT NOT NULL DEFAULT 0,
  score DOUBLE PRECISION NOT NULL,
  internal_score DOUBLE PRECISION NOT NULL,
  external_score DOUBLE PRECISION,
  grade TEXT NOT NULL,
  inputs TEXT NOT NULL,
  points TEXT NOT NULL,
  rated_by_name TEXT NOT NULL DEFAULT '',
  rated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX ratings_subject ON ratings(subject_id, id);
CREATE INDEX ratings_region ON ratings(region_code, id);
CREATE INDEX ratings_batch ON ratings(batch_id);
CREATE TABLE credit_batches (
  id BIGINT PRIMARY KEY,
  county_code TEXT COLLATE "C" NOT NULL,
  region_code TEXT COLLATE "C" NOT NULL,
  region_name TEXT NOT NULL,
  version INTEGER NOT NULL,
  model_id BIGINT NOT NULL REFERENCES rating_models(id),
  model_version INTEGER NOT NULL,
  config TEXT NOT NULL,
  status TEXT NOT NULL,
  job_id BIGINT NOT NULL DEFAULT 0,
  subjects INTEGER NOT NULL DEFAULT 0,
  households INTEGER NOT NULL DEFAULT 0,
  credit_households INTEGER NOT NULL DEFAULT 0,
  villages INTEGER NOT NULL DEFAULT 0,
  credit_villages INTEGER NOT NULL DEFAULT 0,
  lines_fen BIGINT NOT NULL DEFAULT 0,
  message TEXT NOT NULL DEFAULT '',
  created_by_name TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  finished_at TIMESTAMPTZ,
  UNIQUE (region_code, version)
);
CREATE TABLE credit_batch_rows (
  batch_id BIGINT NOT NULL REFERENCES credit_batches(id),
  subject_id BIGINT NOT NULL,
  rating_id BIGINT NOT NULL,
  village_code TEXT COLLATE "C" NOT NULL,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  masked_name TEXT NOT NULL,
  score DOUBLE PRECISION NOT NULL,
  grade TEXT NOT NULL,
  credit_household INTEGER NOT NULL,
  reasons TEXT NOT NULL DEFAULT '',
  line_fen BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (batch_id, subject_id)
);
CREATE INDEX credit_batch_rows_village ON credit_batch_rows(batch_id, village_code, subject_id);
CREATE TABLE credit_batch_villages (
  batch_id BIGINT NOT NULL REFERENCES credit_batches(id),
  village_code TEXT COLLATE "C" NOT NULL,
  village_name TEXT NOT NULL,
  households INTEGER NOT NULL,
  credit_households INTEGER NOT NULL,
  borrowers INTEGER NOT NULL,
  clean_borrowers INTEGER NOT NULL,
  balance_fen BIGINT NOT NULL,
  npl_fen BIGINT NOT NULL,
  credit_village INTEGER NOT NULL,
  reasons TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (batch_id, village_code)
);
CREATE TABLE credit_records (
  id BIGINT PRIMARY KEY,
  county_code TEXT COLLATE "C" NOT NULL,
  region_code TEXT COLLATE "C" NOT NULL,
  subject_id BIGINT NOT NULL REFERENCES subjects(id),
  category TEXT NOT NULL,
  title TEXT NOT NULL,
  amount_fen BIGINT NOT NULL DEFAULT 0,
  quantity DOUBLE PRECISION NOT NULL DEFAULT 0,
  unit TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL,
  record_date TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  created_by_name TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX credit_records_subject ON credit_records(subject_id, category);
CREATE INDEX credit_records_region ON credit_records(region_code, id);
CREATE TABLE peer_reviews (
  id BIGINT PRIMARY KEY,
  county_code TEXT COLLATE "C" NOT NULL,
  period TEXT NOT NULL,
  rater_id BIGINT NOT NULL REFERENCES subjects(id),
  ratee_id BIGINT NOT NULL REFERENCES subjects(id),
  ratee_region TEXT COLLATE "C" NOT NULL,
  score INTEGER NOT NULL,
  comment TEXT NOT NULL DEFAULT '',
  created_by_name TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  UNIQUE (period, rater_id, ratee_id)
);
CREATE INDEX peer_reviews_ratee ON peer_reviews(ratee_id, period);
ALTER TABLE loan_products ADD COLUMN min_grade TEXT NOT NULL DEFAULT '';
ALTER TABLE loan_products ADD COLUMN members_only BOOLEAN NOT NULL DEFAULT FALSE;
