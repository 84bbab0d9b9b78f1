-- Imported road distances (km × 1000) between villages/townships for dispatch; one row per direction.
CREATE TABLE service_road_km (
  county_code TEXT NOT NULL,
  from_code TEXT NOT NULL,
  to_code TEXT NOT NULL,
  metres BIGINT NOT NULL,
  PRIMARY KEY (from_code, to_code)
);
CREATE INDEX service_road_km_county ON service_road_km(county_code);
