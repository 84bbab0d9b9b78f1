-- 双向流通 (issue 4, items 3, 4, 7, 8): 集采集配 pooling rounds, shipments and delivery routes, reserve plans and
-- reserve financing (贴息), price monitoring. Stock still moves only through supply_moves (refs name the round,
-- order or shipment); these tables hold the business documents around the ledger.
ALTER TABLE supply_goods ADD COLUMN unit_weight_g BIGINT NOT NULL DEFAULT 0;
ALTER TABLE supply_goods ADD COLUMN unit_volume_ml BIGINT NOT NULL DEFAULT 0;
CREATE TABLE supply_pools (
  id BIGINT PRIMARY KEY,
  county_code TEXT COLLATE "C" NOT NULL,
  no TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  hub_node_id BIGINT NOT NULL REFERENCES supply_nodes(id),
  opens_on TEXT COLLATE "C" NOT NULL,
  closes_on TEXT COLLATE "C" NOT NULL,
  status TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  closed_at TIMESTAMPTZ
);
CREATE TABLE supply_pool_items (
  id BIGINT PRIMARY KEY,
  pool_id BIGINT NOT NULL REFERENCES supply_pools(id),
  goods_id BIGINT NOT NULL REFERENCES supply_goods(id),
  supplier TEXT NOT NULL,
  list_price_fen BIGINT NOT NULL,
  tiers TEXT NOT NULL DEFAULT '',
  UNIQUE (pool_id, goods_id)
);
CREATE TABLE supply_pool_nodes (
  pool_id BIGINT NOT NULL REFERENCES supply_pools(id),
  node_id BIGINT NOT NULL REFERENCES supply_nodes(id),
  PRIMARY KEY (pool_id, node_id)
);
CREATE TABLE supply_pool_demands (
  id BIGINT PRIMARY KEY,
  pool_id BIGINT NOT NULL REFERENCES supply_pools(id),
  item_id BIGINT NOT NULL REFERENCES supply_pool_items(id),
  subject_id BIGINT NOT NULL,
  node_id BIGINT NOT NULL REFERENCES supply_nodes(id),
  qty BIGINT NOT NULL,
  allocated BIGINT NOT NULL DEFAULT 0,
  handed BIGINT NOT NULL DEFAULT 0,
  handed_on TEXT COLLATE "C" NOT NULL DEFAULT '',
  signer TEXT NOT NULL DEFAULT '',
  receipt_no TEXT NOT NULL DEFAULT '',
  entered_by TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,
  UNIQUE (pool_id, item_id, subject_id)
);
CREATE INDEX supply_pool_demands_subject ON supply_pool_demands(subject_id);
CREATE TABLE supply_pool_orders (
  id BIGINT PRIMARY KEY,
  pool_id BIGINT NOT NULL REFERENCES supply_pools(id),
  no TEXT NOT NULL UNIQUE,
  supplier TEXT NOT NULL,
  status TEXT NOT NULL,
  list_fen BIGINT NOT NULL,
  amount_fen BIGINT NOT NULL,
  received_on TEXT COLLATE "C" NOT NULL DEFAULT ''
);
CREATE TABLE supply_pool_order_lines (
  order_id BIGINT NOT NULL REFERENCES supply_pool_orders(id),
  item_id BIGINT NOT NULL REFERENCES supply_pool_items(id),
  qty BIGINT NOT NULL,
  received BIGINT NOT NULL DEFAULT 0,
  unit_price_fen BIGINT NOT NULL,
  list_price_fen BIGINT NOT NULL,
  amount_fen BIGINT NOT NULL,
  list_fen BIGINT NOT NULL,
  PRIMARY KEY (order_id, item_id)
);
CREATE TABLE supply_shipments (
  id BIGINT PRIMARY KEY,
  county_code TEXT COLLATE "C" NOT NULL,
  kind TEXT NOT NULL,
  from_node_id BIGINT NOT NULL REFERENCES supply_nodes(id),
  to_node_id BIGINT NOT NULL REFERENCES supply_nodes(id),
  ship_on TEXT COLLATE "C" NOT NULL,
  goods_id BIGINT NOT NULL DEFAULT 0,
  qty BIGINT NOT NULL DEFAULT 0,
  weight_g BIGINT NOT NULL,
  volume_ml BIGINT NOT NULL DEFAULT 0,
  ready_min INTEGER NOT NULL DEFAULT 0,
  due_min INTEGER NOT NULL DEFAULT 0,
  pool_id BIGINT NOT NULL DEFAULT 0,
  plan_id BIGINT NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  done_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX supply_shipments_day ON supply_shipments(ship_on, from_node_id);
CREATE INDEX supply_shipments_pool ON supply_shipments(pool_id);
CREATE TABLE supply_distances (
  from_node_id BIGINT NOT NULL,
  to_node_id BIGINT NOT NULL,
  meters BIGINT NOT NULL,
  PRIMARY KEY (from_node_id, to_node_id)
);
CREATE TABLE supply_route_plans (
  id BIGINT PRIMARY KEY,
  county_code TEXT COLLATE "C" NOT NULL,
  node_id BIGINT NOT NULL REFERENCES supply_nodes(id),
  plan_on TEXT COLLATE "C" NOT NULL,
  vehicles INTEGER NOT NULL,
  capacity_kg BIGINT NOT NULL,
  volume_l BIGINT NOT NULL DEFAULT 0,
  road_factor DOUBLE PRECISION NOT NULL,
  use_matrix INTEGER NOT NULL DEFAULT 0,
  time_windows INTEGER NOT NULL DEFAULT 0,
  drivers TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  message TEXT NOT NULL DEFAULT '',
  distance_m BIGINT NOT NULL DEFAULT 0,
  job_id BIGINT NOT NULL DEFAULT 0,
  created_by TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE supply_route_stops (
  plan_id BIGINT NOT NULL REFERENCES supply_route_plans(id),
  route_no INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  node_id BIGINT NOT NULL,
  driver TEXT NOT NULL DEFAULT '',
  arrive_min INTEGER NOT NULL DEFAULT 0,
  deliver_g BIGINT NOT NULL DEFAULT 0,
  pickup_g BIGINT NOT NULL DEFAULT 0,
  leg_m BIGINT NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  done_at TIMESTAMPTZ,
  note TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (plan_id, route_no, seq)
);
CREATE TABLE supply_reserve_plans (
  id BIGINT PRIMARY KEY,
  county_code TEXT COLLATE "C" NOT NULL,
  node_id BIGINT NOT NULL REFERENCES supply_nodes(id),
  goods_id BIGINT NOT NULL REFERENCES supply_goods(id),
  season TEXT NOT NULL,
  from_on TEXT COLLATE "C" NOT NULL,
  to_on TEXT COLLATE "C" NOT NULL,
  plan_qty BIGINT NOT NULL,
  safety_qty BIGINT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  UNIQUE (node_id, goods_id, season)
);
CREATE TABLE supply_reserve_contracts (
  id BIGINT PRIMARY KEY,
  county_code TEXT COLLATE "C" NOT NULL,
  no TEXT NOT NULL UNIQUE,
  node_id BIGINT NOT NULL REFERENCES supply_nodes(id),
  borrower_id BIGINT NOT NULL DEFAULT 0,
  lender TEXT NOT NULL,
  principal_fen BIGINT NOT NULL,
  rate_ppm BIGINT NOT NULL,
  start_on TEXT COLLATE "C" NOT NULL,
  end_on TEXT COLLATE "C" NOT NULL,
  days INTEGER NOT NULL,
  ratio_bp BIGINT NOT NULL,
  subsidy_fen BIGINT NOT NULL,
  year INTEGER NOT NULL,
  status TEXT NOT NULL,
  paid_on TEXT COLLATE "C" NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE supply_reserve_budgets (
  county_code TEXT COLLATE "C" NOT NULL,
  year INTEGER NOT NULL,
  budget_fen BIGINT NOT NULL,
  PRIMARY KEY (county_code, year)
);
CREATE TABLE supply_price_items (
  id BIGINT PRIMARY KEY,
  county_code TEXT COLLATE "C" NOT NULL,
  name TEXT NOT NULL,
  unit TEXT NOT NULL,
  category TEXT NOT NULL DEFAULT '',
  reference_fen BIGINT NOT NULL DEFAULT 0,
  alert_pct INTEGER NOT NULL DEFAULT 10,
  UNIQUE (county_code, name)
);
CREATE TABLE supply_price_points (
  id BIGINT PRIMARY KEY,
  county_code TEXT COLLATE "C" NOT NULL,
  name TEXT NOT NULL,
  region_code TEXT COLLATE "C" NOT NULL,
  node_id BIGINT NOT NULL DEFAULT 0,
  UNIQUE (county_code, name)
);
CREATE TABLE supply_price_reports (
  id BIGINT PRIMARY KEY,
  item_id BIGINT NOT NULL REFERENCES supply_price_items(id),
  point_id BIGINT NOT NULL REFERENCES supply_price_points(id),
  region_code TEXT COLLATE "C" NOT NULL,
  reported_on TEXT COLLATE "C" NOT NULL,
  price_fen BIGINT NOT NULL,
  reporter TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  UNIQUE (item_id, point_id, reported_on)
);
CREATE INDEX supply_price_reports_item ON supply_price_reports(item_id, reported_on);
CREATE TABLE supply_price_alerts (
  id BIGINT PRIMARY KEY,
  report_id BIGINT NOT NULL REFERENCES supply_price_reports(id),
  item_id BIGINT NOT NULL,
  region_code TEXT COLLATE "C" NOT NULL,
  kind TEXT NOT NULL,
  reported_on TEXT COLLATE "C" NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX supply_price_alerts_on ON supply_price_alerts(reported_on);
