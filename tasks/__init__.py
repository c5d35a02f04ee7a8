"""Luigi tasks and the `wikibind` command line: thin wrappers over `pipeline`."""
