'use strict';
module.exports = require('./load.cjs')(() => require('../dist/src/testing/index.js'), 'grip-lambda/testing');
