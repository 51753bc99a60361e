"""GitHub Classroom: starter repositories, their check workflow's job summary, and collection at the deadline."""
