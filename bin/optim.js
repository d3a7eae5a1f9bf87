#!/usr/bin/env node
// The `optim` command: a thin launcher for the bundled CLI.
require("../dist/cli.js");
