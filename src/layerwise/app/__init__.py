"""The applications on top of the library: the CLI, TOML configs, run directories, reports, tuning."""
