"""The snow provider (AWS Snow devices): spec rules only in this build."""
