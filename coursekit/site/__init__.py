"""`coursekit site --out DIR`: a static course site from course_config.py and release/ (see `build`)."""
