'use strict';
module.exports = require('./load.cjs')(() => require('../dist/src/protocol/index.js'), 'grip-lambda/protocol');
