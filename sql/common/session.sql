-- step: Work in UTC
-- Timestamps carry no zone: text is read as UTC and years are taken in UTC, whatever the time zone of the
-- cluster or warehouse, so the results are the same everywhere.
SET TIME ZONE 'UTC'
