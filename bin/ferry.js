#!/usr/bin/env node
// The published entry point runs the compiled CLI (`npm run build` writes dist/).
// Inside the repository Node 24 runs src/ directly; see the README.
import '../dist/cli/main.js';
