-- A stand-in source: an indicator bound to the source of a room not built yet may name a registered source that
-- measures nearly the same thing meanwhile (the plan's 综合服务社 KPI counts the register's service co-ops until the
-- service room registers service.coops). The preferred source wins as soon as it is registered.
ALTER TABLE indicators ADD COLUMN fallback TEXT NOT NULL DEFAULT '';
ALTER TABLE indicators ADD COLUMN fallback_filter TEXT NOT NULL DEFAULT '{}';
