-- The reform plan's KPIs (一、目标任务, 附件1, 附件2), loaded from the embedded plan.json at first start and
-- editable later. Each KPI is bound to an indicator; its targets are the indicator's targets for the plan's county
-- (indicator_targets). reported_value is the last value a responsible unit reported while no room measures it.
CREATE TABLE plan_kpis (
  key TEXT COLLATE "C" PRIMARY KEY,
  name TEXT NOT NULL,
  unit TEXT NOT NULL,
  indicator_key TEXT COLLATE "C" NOT NULL REFERENCES indicators(key),
  region_code TEXT COLLATE "C" NOT NULL,
  sort INTEGER NOT NULL DEFAULT 0,
  comparator TEXT NOT NULL DEFAULT '>=',
  alt_targets TEXT NOT NULL DEFAULT '{}',
  inconsistent TEXT NOT NULL DEFAULT '',
  note TEXT NOT NULL DEFAULT '',
  cite TEXT NOT NULL DEFAULT '[]',
  reported_value DOUBLE PRECISION NOT NULL DEFAULT 0,
  reported_on TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
