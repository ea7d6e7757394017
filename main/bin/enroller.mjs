#!/usr/bin/env node
// The launcher's earlier name, kept for scripts that call it: the launcher is enroller.cjs.
import './enroller.cjs';
