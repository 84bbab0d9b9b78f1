-- Bases of the 产业数字化地图 (⑱): 智慧农业实验示范基地 and 数字种业 / 数字畜牧 / 数字渔业 bases, registered here with
-- type, level and status; counted by the source digital.smart_agri_bases.
CREATE TABLE digital_bases (
  id BIGINT PRIMARY KEY,
  name TEXT NOT NULL,
  type TEXT NOT NULL,
  level TEXT NOT NULL,
  status TEXT NOT NULL,
  region_code TEXT COLLATE "C" NOT NULL,
  industry TEXT NOT NULL DEFAULT '',
  operator TEXT NOT NULL DEFAULT '',
  area_mu DOUBLE PRECISION NOT NULL DEFAULT 0,
  lng DOUBLE PRECISION NOT NULL,
  lat DOUBLE PRECISION NOT NULL,
  established_on TEXT NOT NULL DEFAULT '',
  note TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX digital_bases_region ON digital_bases(region_code);
