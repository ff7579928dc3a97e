-- Fraud types that occur in cases or warnings, most frequent first (kept by every import).
SELECT fraud_type, n FROM fraud_type_counts ORDER BY n DESC, fraud_type
