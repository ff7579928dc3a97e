-- The tables of DATA.md plus the rollups the pages read. Amounts are yuan, times local.
CREATE TABLE IF NOT EXISTS units (
    bureau_id VARCHAR, bureau_name VARCHAR, district_name VARCHAR, population BIGINT,
    aliases VARCHAR, kind VARCHAR, lon DOUBLE, lat DOUBLE,
    source_file VARCHAR, ingested_at TIMESTAMP);

CREATE TABLE IF NOT EXISTS stations (
    station_id VARCHAR, station_name VARCHAR, bureau_id VARCHAR, lon DOUBLE, lat DOUBLE,
    source_file VARCHAR, ingested_at TIMESTAMP);

CREATE TABLE IF NOT EXISTS cases (
    case_id VARCHAR NOT NULL, reported_at TIMESTAMP NOT NULL, occurred_at TIMESTAMP,
    bureau_id VARCHAR NOT NULL, station VARCHAR, township VARCHAR, lon DOUBLE, lat DOUBLE,
    fraud_type VARCHAR, loss_amount DECIMAL(18,2), stopped_amount DECIMAL(18,2),
    frozen_amount DECIMAL(18,2), returned_amount DECIMAL(18,2),
    last_transfer_at TIMESTAMP, stop_payment_at TIMESTAMP, status VARCHAR,
    victim_gender VARCHAR, victim_age_band VARCHAR, payer_bank VARCHAR,
    source_file VARCHAR, ingested_at TIMESTAMP);

CREATE TABLE IF NOT EXISTS warnings (
    warning_id VARCHAR NOT NULL, issued_at TIMESTAMP NOT NULL, signed_at TIMESTAMP,
    feedback_at TIMESTAMP, source VARCHAR, level VARCHAR, fraud_type VARCHAR,
    bureau_id VARCHAR NOT NULL, station VARCHAR, method VARCHAR, result VARCHAR,
    victimized_after BOOLEAN, avoided_loss DECIMAL(18,2),
    source_file VARCHAR, ingested_at TIMESTAMP);

CREATE TABLE IF NOT EXISTS strikes (
    bureau_id VARCHAR NOT NULL, date DATE NOT NULL, arrests INTEGER, gangs INTEGER,
    dens INTEGER, cards_frozen INTEGER, source_file VARCHAR, ingested_at TIMESTAMP);

CREATE TABLE IF NOT EXISTS imports (
    imported_at TIMESTAMP, user_name VARCHAR, file_name VARCHAR, sha256 VARCHAR,
    kind VARCHAR, rows_read BIGINT, rows_loaded BIGINT, rows_new BIGINT,
    rows_updated BIGINT, rows_rejected BIGINT, reject_file VARCHAR, note VARCHAR);

CREATE TABLE IF NOT EXISTS meta (key VARCHAR, value VARCHAR);

-- Rollups: rebuilt for the days an import touched, inside the same atomic swap.
CREATE TABLE IF NOT EXISTS case_daily (
    day DATE, bureau_id VARCHAR, fraud_type VARCHAR,
    cases BIGINT, loss DECIMAL(38,2), stopped DECIMAL(38,2), frozen DECIMAL(38,2),
    returned DECIMAL(38,2), solved BIGINT,
    fast_stop_n BIGINT,        -- stop_payment_at - last_transfer_at <= 30 min
    fast_stop_den BIGINT,      -- cases with both times
    stop_cases BIGINT,         -- cases with any money stopped/frozen or a stop time
    loss_sq DOUBLE);           -- sum of squared losses: the variance of a compound-Poisson total

CREATE TABLE IF NOT EXISTS warning_daily (
    day DATE, bureau_id VARCHAR, fraud_type VARCHAR, level VARCHAR, result VARCHAR,
    source VARCHAR, warnings BIGINT, dissuaded BIGINT, overdue BIGINT,
    victimized_after BIGINT, feedback_missing BIGINT, signed_missing BIGINT,
    avoided_loss DECIMAL(38,2));

-- warning_daily without level/result/source: what the per-bureau measures read over long
-- windows (YTD), ~70x fewer rows than warning_daily at a city's volume.
CREATE TABLE IF NOT EXISTS warning_bureau_daily (
    day DATE, bureau_id VARCHAR, fraud_type VARCHAR, warnings BIGINT, dissuaded BIGINT,
    overdue BIGINT, victimized_after BIGINT, feedback_missing BIGINT, signed_missing BIGINT,
    avoided_loss DECIMAL(38,2));

-- How many warnings were signed after how long, per day, bureau and type, in buckets of half
-- an octave of seconds (bucket = floor(2·log2(seconds)), all s ≤ 1 in bucket 0), with each
-- bucket's shortest and longest time. The exact median of a long window (YTD) reads this to
-- find the bucket holding the middle rank, then only the raw rows inside that bucket's time
-- range (measures.sign_median). About 1/5 of the rows of warnings.
CREATE TABLE IF NOT EXISTS warning_sign_daily (
    day DATE, bureau_id VARCHAR, fraud_type VARCHAR, bucket SMALLINT, warnings BIGINT,
    min_seconds BIGINT, max_seconds BIGINT);

-- Weekly sums (Monday–Sunday) of case_daily, warning_bureau_daily and warning_sign_daily:
-- what long windows read (a year to date, the tests' weekly history) with 7x fewer rows, and a
-- window's days outside its whole weeks still come from the daily table (case_measures.sql).
CREATE TABLE IF NOT EXISTS case_weekly (
    week_start DATE, bureau_id VARCHAR, fraud_type VARCHAR,
    cases BIGINT, loss DECIMAL(38,2), stopped DECIMAL(38,2), frozen DECIMAL(38,2),
    returned DECIMAL(38,2), solved BIGINT, fast_stop_n BIGINT, fast_stop_den BIGINT,
    stop_cases BIGINT, loss_sq DOUBLE);

CREATE TABLE IF NOT EXISTS warning_bureau_weekly (
    week_start DATE, bureau_id VARCHAR, fraud_type VARCHAR, warnings BIGINT, dissuaded BIGINT,
    overdue BIGINT, victimized_after BIGINT, feedback_missing BIGINT, signed_missing BIGINT,
    avoided_loss DECIMAL(38,2));

CREATE TABLE IF NOT EXISTS warning_sign_weekly (
    week_start DATE, bureau_id VARCHAR, fraud_type VARCHAR, bucket SMALLINT, warnings BIGINT,
    min_seconds BIGINT, max_seconds BIGINT);

-- The same histogram city-wide (no bureau, no type), per day: an unfiltered window's
-- histogram from a few thousand rows (queries/sign_buckets.sql).
CREATE TABLE IF NOT EXISTS warning_sign_city (
    day DATE, bucket SMALLINT, warnings BIGINT, min_seconds BIGINT, max_seconds BIGINT);

-- City-wide signed warnings per exact sign time in seconds, per day and per block (the days of
-- one ISO week that fall in one calendar month): an unfiltered window's middle bucket is counted
-- per second here instead of in the raw rows (measures.sign_medians). A month and a year to
-- date are whole blocks, a week one or two, so a year-to-date median reads ~10k rows per week
-- of the year and no timestamps, and a window's other days come from the daily table. A bureau or
-- type filter still counts the raw rows.
CREATE TABLE IF NOT EXISTS warning_sign_seconds (day DATE, seconds BIGINT, warnings BIGINT);
CREATE TABLE IF NOT EXISTS warning_sign_seconds_block (block_start DATE, seconds BIGINT, warnings BIGINT);

CREATE TABLE IF NOT EXISTS area_weekly (
    week_start DATE, bureau_id VARCHAR, station VARCHAR, township VARCHAR, fraud_type VARCHAR,
    cases BIGINT, loss DECIMAL(38,2));

-- Fraud types that occur in cases or warnings, with how often: the filter's choices. Tiny,
-- recomputed from the daily rollups at every import, so the pages read ~20 rows instead of
-- the whole history.
CREATE TABLE IF NOT EXISTS fraud_type_counts (fraud_type VARCHAR, n BIGINT);

-- What the data covers (one row), kept by every import: the pages' header reads it instead
-- of min/max over the whole history on every view.
CREATE TABLE IF NOT EXISTS data_span (
    data_as_of TIMESTAMP, last_import_at TIMESTAMP, first_day DATE, last_case_day DATE,
    last_warning_day DATE,
    as_of_imported_at TIMESTAMP);   -- when rows of data_as_of's day last arrived (DATA.md: a period is
                                    -- complete once they arrived after it ended)
