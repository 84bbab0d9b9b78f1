-- 产销对接 and 区域公用品牌: buyers, supply/demand listings, order contracts (订单农业) with their schedule,
-- supplements and fulfilment, brands with authorised users, batch codes, and marketing events.
CREATE TABLE market_buyers (
  subject_id BIGINT PRIMARY KEY,
  county_code TEXT NOT NULL,
  region_code TEXT NOT NULL,
  channel TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL
);
CREATE INDEX market_buyers_region ON market_buyers(region_code);
CREATE TABLE market_listings (
  id INTEGER PRIMARY KEY,
  county_code TEXT NOT NULL,
  side TEXT NOT NULL,
  subject_id BIGINT NOT NULL,
  region_code TEXT NOT NULL,
  lng REAL NOT NULL DEFAULT 0,
  lat REAL NOT NULL DEFAULT 0,
  product TEXT NOT NULL,
  grade TEXT NOT NULL DEFAULT '',
  quantity BIGINT NOT NULL,
  unit TEXT NOT NULL,
  price_fen BIGINT NOT NULL DEFAULT 0,
  date_from TEXT NOT NULL,
  date_to TEXT NOT NULL,
  brand_id BIGINT NOT NULL DEFAULT 0,
  note TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  on_behalf BOOLEAN NOT NULL DEFAULT 0,
  created_by TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);
CREATE INDEX market_listings_region ON market_listings(region_code);
CREATE INDEX market_listings_open ON market_listings(county_code, side, status, product);
CREATE INDEX market_listings_subject ON market_listings(subject_id);
CREATE TABLE market_contracts (
  id INTEGER PRIMARY KEY,
  no TEXT NOT NULL UNIQUE,
  county_code TEXT NOT NULL,
  supply_id BIGINT NOT NULL DEFAULT 0,
  demand_id BIGINT NOT NULL DEFAULT 0,
  seller_id BIGINT NOT NULL,
  seller_region TEXT NOT NULL,
  buyer_id BIGINT NOT NULL,
  buyer_region TEXT NOT NULL,
  product TEXT NOT NULL,
  grade TEXT NOT NULL DEFAULT '',
  quantity BIGINT NOT NULL,
  unit TEXT NOT NULL,
  price_fen BIGINT NOT NULL,
  amount_fen BIGINT NOT NULL,
  quality_terms TEXT NOT NULL DEFAULT '',
  match_score INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  seller_signed_at TIMESTAMP,
  seller_signed_by TEXT NOT NULL DEFAULT '',
  buyer_signed_at TIMESTAMP,
  buyer_signed_by TEXT NOT NULL DEFAULT '',
  signed_at TIMESTAMP,
  created_by TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);
CREATE INDEX market_contracts_seller ON market_contracts(seller_id);
CREATE INDEX market_contracts_buyer ON market_contracts(buyer_id);
CREATE INDEX market_contracts_region ON market_contracts(seller_region, signed_at);
CREATE TABLE market_instalments (
  contract_id BIGINT NOT NULL REFERENCES market_contracts(id),
  seq INTEGER NOT NULL,
  due_date TEXT NOT NULL,
  quantity BIGINT NOT NULL,
  amount_fen BIGINT NOT NULL,
  PRIMARY KEY (contract_id, seq)
);
CREATE TABLE market_supplements (
  id INTEGER PRIMARY KEY,
  contract_id BIGINT NOT NULL REFERENCES market_contracts(id),
  seq INTEGER NOT NULL,
  quantity_delta BIGINT NOT NULL DEFAULT 0,
  amount_delta_fen BIGINT NOT NULL DEFAULT 0,
  text TEXT NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL,
  UNIQUE (contract_id, seq)
);
CREATE TABLE market_fulfilments (
  id INTEGER PRIMARY KEY,
  contract_id BIGINT NOT NULL REFERENCES market_contracts(id),
  kind TEXT NOT NULL,
  on_date TEXT NOT NULL,
  quantity BIGINT NOT NULL DEFAULT 0,
  amount_fen BIGINT NOT NULL DEFAULT 0,
  note TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL
);
CREATE INDEX market_fulfilments_contract ON market_fulfilments(contract_id, kind);
CREATE TABLE market_brands (
  id INTEGER PRIMARY KEY,
  county_code TEXT NOT NULL,
  name TEXT NOT NULL,
  level TEXT NOT NULL,
  family TEXT NOT NULL DEFAULT '',
  products TEXT NOT NULL DEFAULT '',
  owner TEXT NOT NULL DEFAULT '',
  standard_no TEXT NOT NULL DEFAULT '',
  standard TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL,
  UNIQUE (county_code, name)
);
CREATE TABLE market_brand_auths (
  id INTEGER PRIMARY KEY,
  brand_id BIGINT NOT NULL REFERENCES market_brands(id),
  subject_id BIGINT NOT NULL,
  region_code TEXT NOT NULL,
  product TEXT NOT NULL,
  date_from TEXT NOT NULL,
  date_to TEXT NOT NULL,
  quota BIGINT NOT NULL,
  unit TEXT NOT NULL,
  status TEXT NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL
);
CREATE INDEX market_brand_auths_brand ON market_brand_auths(brand_id, status);
CREATE INDEX market_brand_auths_region ON market_brand_auths(region_code);
CREATE TABLE market_batches (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,
  auth_id BIGINT NOT NULL REFERENCES market_brand_auths(id),
  quantity BIGINT NOT NULL,
  harvest_date TEXT NOT NULL,
  origin_code TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL
);
CREATE INDEX market_batches_auth ON market_batches(auth_id);
CREATE TABLE market_events (
  id INTEGER PRIMARY KEY,
  county_code TEXT NOT NULL,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  region_code TEXT NOT NULL,
  venue TEXT NOT NULL DEFAULT '',
  date_from TEXT NOT NULL,
  date_to TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL
);
CREATE TABLE market_event_sales (
  event_id BIGINT NOT NULL REFERENCES market_events(id),
  subject_id BIGINT NOT NULL,
  region_code TEXT NOT NULL,
  volume BIGINT NOT NULL DEFAULT 0,
  unit TEXT NOT NULL DEFAULT '',
  sales_fen BIGINT NOT NULL DEFAULT 0,
  note TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (event_id, subject_id)
);
