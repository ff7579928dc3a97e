-- Fraud types that occur in cases or warnings, most frequent first.
SELECT fraud_type, sum(n) AS n FROM (
    SELECT fraud_type, sum(cases) AS n FROM case_daily GROUP BY ALL
    UNION ALL
    SELECT fraud_type, sum(warnings) FROM warning_bureau_daily GROUP BY ALL)
WHERE fraud_type IS NOT NULL
GROUP BY fraud_type
ORDER BY n DESC
