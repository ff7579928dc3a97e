-- What the data covers: latest event, when rows of its day arrived, latest import, first and last days (kept by every import).
SELECT data_as_of, as_of_imported_at, last_import_at, first_day, last_case_day, last_warning_day FROM data_span
