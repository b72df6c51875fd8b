-- A run's webhooks (`run:ID`, `GET /api/runs/{run_id}`) are looked up by the body's `run.id`;
-- the ones without one by message id (`<run_id>` or `<run_id>_<ms>`), which `events_msg_id`
-- already covers. Partial: most webhooks are not Cyberdesk runs.
CREATE INDEX IF NOT EXISTS events_run_id ON events (run_id, id) WHERE run_id IS NOT NULL;
