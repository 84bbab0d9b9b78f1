-- 双向流通 (issue 4, items 1–2): the network of nodes, the goods catalog and the stock ledger.
-- On-hand is never stored: it is the sum of supply_moves.qty per node × goods. supply_locks holds one row per
-- node × goods that writers lock (SELECT … FOR UPDATE) before checking and appending moves.
CREATE TABLE supply_nodes (
  id INTEGER PRIMARY KEY,
  county_code TEXT NOT NULL,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  region_code TEXT NOT NULL,
  operator_id BIGINT NOT NULL DEFAULT 0,
  functions TEXT NOT NULL DEFAULT '',
  address TEXT NOT NULL DEFAULT '',
  lng REAL NOT NULL DEFAULT 0,
  lat REAL NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'active',
  note TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);
CREATE INDEX supply_nodes_region ON supply_nodes(region_code, kind);
CREATE INDEX supply_nodes_kind ON supply_nodes(kind, region_code);
CREATE INDEX supply_nodes_operator ON supply_nodes(operator_id);
CREATE TABLE supply_goods (
  id INTEGER PRIMARY KEY,
  county_code TEXT NOT NULL,
  category TEXT NOT NULL,
  name TEXT NOT NULL,
  spec TEXT NOT NULL DEFAULT '',
  unit TEXT NOT NULL,
  decimals INTEGER NOT NULL DEFAULT 0,
  reg_no TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'active',
  created_at TIMESTAMP NOT NULL,
  UNIQUE (county_code, name, spec)
);
CREATE TABLE supply_locks (
  node_id BIGINT NOT NULL,
  goods_id BIGINT NOT NULL,
  PRIMARY KEY (node_id, goods_id)
);
CREATE TABLE supply_moves (
  id INTEGER PRIMARY KEY,
  county_code TEXT NOT NULL,
  node_id BIGINT NOT NULL REFERENCES supply_nodes(id),
  goods_id BIGINT NOT NULL REFERENCES supply_goods(id),
  kind TEXT NOT NULL,
  qty BIGINT NOT NULL,
  other_node_id BIGINT NOT NULL DEFAULT 0,
  transfer_id BIGINT NOT NULL DEFAULT 0,
  reverses_id BIGINT UNIQUE,
  counted BIGINT,
  moved_on TEXT NOT NULL,
  ref TEXT NOT NULL DEFAULT '',
  note TEXT NOT NULL DEFAULT '',
  actor_id BIGINT NOT NULL DEFAULT 0,
  actor_name TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL
);
CREATE INDEX supply_moves_stock ON supply_moves(node_id, goods_id);
CREATE INDEX supply_moves_goods ON supply_moves(goods_id);
CREATE INDEX supply_moves_transfer ON supply_moves(transfer_id);
