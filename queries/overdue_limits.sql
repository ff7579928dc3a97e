-- The overdue limits (minutes per level) the database's rollups were built with.
SELECT max(CASE key WHEN 'limit_high' THEN CAST(value AS BIGINT) END) AS high,
       max(CASE key WHEN 'limit_mid' THEN CAST(value AS BIGINT) END) AS mid,
       max(CASE key WHEN 'limit_low' THEN CAST(value AS BIGINT) END) AS low
FROM meta
