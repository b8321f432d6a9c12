"""fairfront command line and launcher."""
