"""The `dondoc` command line."""
