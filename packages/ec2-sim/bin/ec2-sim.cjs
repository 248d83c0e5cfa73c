#!/usr/bin/env node
'use strict';
/*
 * ec2-sim runs the TypeScript sources through tsx's require hook (tsx is a dependency): no build step.
 * Options: ec2-sim --help.
 */
const path = require('node:path');
require('tsx/cjs/api').register();
require(path.join(__dirname, '..', 'src', 'main.ts'));
