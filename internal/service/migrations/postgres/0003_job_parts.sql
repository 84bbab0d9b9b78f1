-- Every day part of a job the dispatch solver splits (JSON list); the job's own plan columns keep the first part.
ALTER TABLE service_jobs ADD COLUMN plan_parts TEXT NOT NULL DEFAULT '';
