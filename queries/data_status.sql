-- What the data covers: latest event, latest import, first day.
SELECT (SELECT CAST(value AS TIMESTAMP) FROM meta WHERE key = 'data_as_of') AS data_as_of,
       (SELECT max(imported_at) FROM imports) AS last_import_at,
       (SELECT min(day) FROM case_daily) AS first_day,
       (SELECT max(day) FROM case_daily) AS last_case_day,
       (SELECT max(day) FROM warning_bureau_daily) AS last_warning_day
