-- The latest imports (audit table), newest first.
SELECT imported_at, user_name, file_name, kind, rows_read, rows_loaded, rows_new, rows_updated,
       rows_rejected, note
FROM imports
ORDER BY imported_at DESC
LIMIT 30
