#!/usr/bin/env node
// The npm bin of the server package: runs the compiled CLI (npm ci builds it through the prepare script).
import '../dist/main.js';
