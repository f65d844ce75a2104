-- The run's input files, numbered (staged rows carry the number, rejects get the name).
CREATE TEMP TABLE stg_file (file_no INTEGER PRIMARY KEY, name TEXT NOT NULL) ON COMMIT DROP;
