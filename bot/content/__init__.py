"""The coaching content: loading, validating and rendering the files in content/."""
