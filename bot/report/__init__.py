"""The anonymous impact report for the people who run a community's coach."""
